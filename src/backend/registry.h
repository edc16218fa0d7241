// The backend registry: which devices this build can run on, and the one
// place a Backend is made from a --device name. A new backend plugs in by
// adding its row to the table in registry.cpp.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend.h"
#include "core/result.h"

namespace keel {

// The --device names this build has, in the order `auto` prefers them
// ("cuda" first when built, then "cpu"; "reference" is the scalar oracle).
std::vector<std::string_view> built_devices();

// The backend for `device`: a name from built_devices(), or "auto" (the
// first built device whose hardware is present). Errors name the devices
// this build has, or say that the device's hardware is missing.
Result<std::unique_ptr<Backend>> create_backend(std::string_view device);

}  // namespace keel
