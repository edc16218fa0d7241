// Element types of weights and activations, and their block layouts.
//
// Quantized types store a row as consecutive blocks of `block_elems`
// elements packed into `block_bytes` bytes (layouts in ../shared/reference
// and src/core/dequantize.cpp). Plain types have block_elems == 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace keel {

enum class DType : uint8_t { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K };

struct DTypeInfo {
  std::string_view name;  // "f32", "q4_k", ...
  int block_elems;        // elements per block
  int block_bytes;        // bytes per block
  uint32_t ggml_type;     // id in GGUF tensor infos
};

const DTypeInfo& dtype_info(DType type);

// The DType of a GGUF tensor type id, or nullopt for types keel does not read.
std::optional<DType> dtype_from_ggml(uint32_t ggml_type);

// Parses a lowercase or uppercase name such as "q8_0" or "F16".
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes taken by `elems` elements; `elems` must be a multiple of the block size.
size_t dtype_row_bytes(DType type, int64_t elems);

bool is_quantized(DType type);

}  // namespace keel
