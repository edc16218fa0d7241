// The packed 6-bit sub-block scales and mins of the Q4_K and Q5_K
// super-blocks, shared by the portable and the AVX2 decoders.
#pragma once

#include <cstdint>

namespace keel {

// Q4_K and Q5_K pack eight 6-bit scales and eight 6-bit mins into 12 bytes:
// sub-blocks 0..3 use the low 6 bits of bytes 0..3 (scales) and 4..7
// (mins); sub-blocks 4..7 take their low 4 bits from bytes 8..11 and their
// top 2 bits from the spare high bits of bytes 0..7.
inline void unpack_scale_min(const uint8_t* scales, int s, int* scale, int* min) {
  if (s < 4) {
    *scale = scales[s] & 63;
    *min = scales[s + 4] & 63;
  } else {
    *scale = (scales[s + 4] & 0xF) | ((scales[s - 4] >> 6) << 4);
    *min = (scales[s + 4] >> 4) | ((scales[s] >> 6) << 4);
  }
}

}  // namespace keel
