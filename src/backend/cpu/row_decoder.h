// The CPU backend's choice of weight decoder: the AVX2 one where the type
// has one and the CPU has AVX2 + FMA + F16C (bit-identical to the portable
// decoder, tested), else core's portable decoder.
#pragma once

#include "core/dequantize.h"
#include "core/dtype.h"

namespace keel::cpu {

RowDecoder row_decoder(DType type);

}  // namespace keel::cpu
