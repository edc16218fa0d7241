// keel quantize: rewrite a GGUF file with its 2-D tensors in another type.
//
// Metadata is copied unchanged except general.file_type; 1-D tensors stay
// F32. Each 2-D tensor is decoded to float32 and re-encoded, so going from a
// quantized file to another quantized type compounds both errors: start
// from an F32, F16 or BF16 file for the best result.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/dtype.h"
#include "core/result.h"

namespace keel {

// Returns the size of the written file in bytes.
Result<uintmax_t> requantize_gguf(const std::filesystem::path& in, const std::filesystem::path& out, DType type);

}  // namespace keel
