// Vector decoders. Rows inside a memory-mapped file have no alignment, so
// every load is unaligned; block scales are f16 and converted with F16C,
// which is exact, like the portable software conversion.
#include "core/dequantize_avx2.h"

#include <cstring>

#include "core/cpu_features.h"

#if KEEL_X86_KERNELS
#include <immintrin.h>
#endif

namespace keel {

#if KEEL_X86_KERNELS
namespace {

using Byte = uint8_t;

KEEL_TARGET_AVX2 __m256 broadcast_f16(const Byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return _mm256_set1_ps(_cvtsh_ss(bits));
}

// Eight int8 values (the low 8 bytes of `q`) as floats times `scale`.
KEEL_TARGET_AVX2 __m256 scaled_int8x8(__m128i q, __m256 scale) {
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), scale);
}

// Q8_0 block (34 bytes): d:f16, qs:i8[32]; y = qs * d.
KEEL_TARGET_AVX2 void decode_q8_0(const void* row, float* dst, int64_t n) {
  const auto* src = static_cast<const Byte*>(row);
  for (int64_t b = 0; b < n / 32; ++b, src += 34, dst += 32) {
    const __m256 d = broadcast_f16(src);
    for (int group = 0; group < 4; ++group) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + 2 + 8 * group));
      _mm256_storeu_ps(dst + 8 * group, scaled_int8x8(q, d));
    }
  }
}

// Q4_0 block (18 bytes): d:f16, qs:u8[16]; element j is (low nibble of
// qs[j]) - 8, element j + 16 is (high nibble of qs[j]) - 8, times d.
KEEL_TARGET_AVX2 void decode_q4_0(const void* row, float* dst, int64_t n) {
  const auto* src = static_cast<const Byte*>(row);
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i eight = _mm_set1_epi8(8);
  for (int64_t b = 0; b < n / 32; ++b, src += 18, dst += 32) {
    const __m256 d = broadcast_f16(src);
    const __m128i qs = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2));
    const __m128i low = _mm_sub_epi8(_mm_and_si128(qs, low_mask), eight);                     // elements 0..15
    const __m128i high = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(qs, 4), low_mask), eight);  // 16..31
    _mm256_storeu_ps(dst + 0, scaled_int8x8(low, d));
    _mm256_storeu_ps(dst + 8, scaled_int8x8(_mm_srli_si128(low, 8), d));
    _mm256_storeu_ps(dst + 16, scaled_int8x8(high, d));
    _mm256_storeu_ps(dst + 24, scaled_int8x8(_mm_srli_si128(high, 8), d));
  }
}

KEEL_TARGET_AVX2 void decode_f16(const void* row, float* dst, int64_t n) {
  const auto* src = static_cast<const Byte*>(row);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    _mm256_storeu_ps(dst + k, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * k))));
  for (; k < n; ++k) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * k, sizeof(bits));
    dst[k] = _cvtsh_ss(bits);
  }
}

// bfloat16 is the high half of a float32: widen and shift.
KEEL_TARGET_AVX2 void decode_bf16(const void* row, float* dst, int64_t n) {
  const auto* src = static_cast<const Byte*>(row);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * k)));
    _mm256_storeu_ps(dst + k, _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16)));
  }
  for (; k < n; ++k) {
    uint16_t bits;
    std::memcpy(&bits, src + 2 * k, sizeof(bits));
    const uint32_t shifted = static_cast<uint32_t>(bits) << 16;
    std::memcpy(dst + k, &shifted, sizeof(float));
  }
}

}  // namespace

RowDecoder avx2_row_decoder(DType type) {
  switch (type) {
    case DType::Q8_0: return decode_q8_0;
    case DType::Q4_0: return decode_q4_0;
    case DType::F16: return decode_f16;
    case DType::BF16: return decode_bf16;
    default: return nullptr;
  }
}

#else

RowDecoder avx2_row_decoder(DType) { return nullptr; }

#endif

}  // namespace keel
