// AVX2 decoders for the weight types that dominate real models' matmuls
// (Q8_0, Q4_0, the K-quants of Q4_K_M / Q5_K_M files, F16, BF16). Each writes exactly the floats the portable
// decoder writes (same products, same single rounding); cpu::row_decoder
// picks them when cpu_features().avx2 holds.
#pragma once

#include <cstdint>

#include "core/dequantize.h"
#include "core/dtype.h"

namespace keel {

// The AVX2 decoder of `type`, or nullptr where it has none (or keel was
// built without x86 kernels). Call the decoder only when
// cpu_features().avx2 is true.
RowDecoder avx2_row_decoder(DType type);

}  // namespace keel
