// Conversion of stored weight rows to float32, for every DType keel reads.
// Block layouts: ../shared/reference/models-and-formats.md §2.5 (GGUF).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace keel {

// Writes `n` floats decoded from `src` (n / block_elems blocks of `type`).
// `n` must be a multiple of the block size.
void dequantize_row(DType type, const void* src, float* dst, int64_t n);

// A decoder of one type: writes `n` floats (a multiple of the block size,
// unchecked) from `src`. Hot loops look it up once rather than per row.
using RowDecoder = void (*)(const void* src, float* dst, int64_t n);

// The portable decoder, plain C++: the reference codec that loading,
// conversion and tests use, and that the CPU backend's vector decoders
// (backend/cpu/row_decoder.h) are tested against bit for bit.
RowDecoder portable_row_decoder(DType type);

// Encodes `n` floats as `type` (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0 are
// supported; K-quants are not written by keel). Returns false for a type
// keel cannot encode.
bool quantize_row(DType type, const float* src, void* dst, int64_t n);

}  // namespace keel
