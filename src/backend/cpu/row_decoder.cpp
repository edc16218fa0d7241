#include "backend/cpu/row_decoder.h"

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/dequantize_avx2.h"

namespace keel::cpu {

RowDecoder row_decoder(DType type) {
  if (cpu_features().avx2)
    if (const RowDecoder vector = avx2_row_decoder(type)) return vector;
  return portable_row_decoder(type);
}

}  // namespace keel::cpu
