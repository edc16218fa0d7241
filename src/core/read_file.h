// read_file: a whole file's bytes, or an Error naming the path.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace keel {

Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace keel
