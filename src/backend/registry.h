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

// How the backend computes, where it has a choice.
struct BackendOptions {
  // --exact-kernels: float products on exactly decoded weights (what the
  // transformers-exactness tests hold keel to), instead of the default fast
  // kernels — on the CPU, integer dots on int16-quantized activations. The
  // reference backend is exact either way.
  bool exact_kernels = false;
};

// The backend for `device`: a name from built_devices(), or "auto" (the
// first built device whose hardware is present). Errors name the devices
// this build has, or say that the device's hardware is missing.
Result<std::unique_ptr<Backend>> create_backend(std::string_view device, const BackendOptions& options = {});

}  // namespace keel
