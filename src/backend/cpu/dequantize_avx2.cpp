// Vector decoders. Rows inside a memory-mapped file have no alignment, so
// every load is unaligned; block scales are f16 and converted with F16C,
// which is exact, like the portable software conversion.
#include "backend/cpu/dequantize_avx2.h"

#include <cstring>

#include "backend/cpu/cpu_features.h"
#include "core/k_quant_scales.h"

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

// Eight unsigned bytes (the low 8 bytes of `q`) as floats.
KEEL_TARGET_AVX2 __m256 uint8x8_to_float(__m128i q) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q)); }

// Writes 32 elements d * q - m from 32 unsigned 5-bit-or-less values in
// `q`, multiplying and subtracting in two roundings as the portable
// decoder does (no fused multiply-subtract).
KEEL_TARGET_AVX2 void store_scaled_minus_min(__m256i q, float d, float m, float* out) {
  const __m256 scale = _mm256_set1_ps(d), min = _mm256_set1_ps(m);
  const __m128i halves[2] = {_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)};
  for (int h = 0; h < 2; ++h) {
    _mm256_storeu_ps(out + 16 * h, _mm256_sub_ps(_mm256_mul_ps(uint8x8_to_float(halves[h]), scale), min));
    _mm256_storeu_ps(out + 16 * h + 8,
                     _mm256_sub_ps(_mm256_mul_ps(uint8x8_to_float(_mm_srli_si128(halves[h], 8)), scale), min));
  }
}

// Q4_K (144 bytes) and Q5_K (176 bytes): d:f16, dmin:f16, scales:u8[12],
// [Q5_K: qh:u8[32]], qs:u8[128]. Chunk c of 64 elements: the low nibbles
// of qs[32c..32c+31] are sub-block 2c, the high nibbles 2c+1; Q5_K adds
// bit 2c / 2c+1 of qh[l] as the fifth bit.
KEEL_TARGET_AVX2 void decode_k4_or_k5(const Byte* src, float* dst, int64_t n, bool has_high_bits) {
  const int64_t block_bytes = has_high_bits ? 176 : 144;
  const __m256i nibble = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  for (int64_t b = 0; b < n / 256; ++b, src += block_bytes, dst += 256) {
    uint16_t bits;
    std::memcpy(&bits, src, sizeof(bits));
    const float d = _cvtsh_ss(bits);
    std::memcpy(&bits, src + 2, sizeof(bits));
    const float dmin = _cvtsh_ss(bits);
    const Byte* qs = src + (has_high_bits ? 48 : 16);
    const __m256i qh = has_high_bits ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 16))
                                     : _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      int scale_low, min_low, scale_high, min_high;
      unpack_scale_min(src + 4, 2 * c, &scale_low, &min_low);
      unpack_scale_min(src + 4, 2 * c + 1, &scale_high, &min_high);
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 32 * c));
      __m256i low = _mm256_and_si256(q, nibble);
      __m256i high = _mm256_and_si256(_mm256_srli_epi16(q, 4), nibble);
      if (has_high_bits) {
        // Bit 2c (2c + 1) of each qh byte, moved to bit 4 of the same byte.
        const __m256i bit_low = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one);
        const __m256i bit_high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one);
        low = _mm256_or_si256(low, _mm256_slli_epi16(bit_low, 4));
        high = _mm256_or_si256(high, _mm256_slli_epi16(bit_high, 4));
      }
      store_scaled_minus_min(low, d * static_cast<float>(scale_low), dmin * static_cast<float>(min_low),
                             dst + 64 * c);
      store_scaled_minus_min(high, d * static_cast<float>(scale_high), dmin * static_cast<float>(min_high),
                             dst + 64 * c + 32);
    }
  }
}

KEEL_TARGET_AVX2 void decode_q4_k(const void* row, float* dst, int64_t n) {
  decode_k4_or_k5(static_cast<const Byte*>(row), dst, n, false);
}

KEEL_TARGET_AVX2 void decode_q5_k(const void* row, float* dst, int64_t n) {
  decode_k4_or_k5(static_cast<const Byte*>(row), dst, n, true);
}

// Q6_K (210 bytes): ql:u8[128], qh:u8[64], scales:i8[16], d:f16 last. In
// half h (128 elements), element l + 32k (l < 32, k < 4) takes 4 low bits
// from ql[64h + l] (k = 0, 2) or ql[64h + 32 + l] (k = 1, 3) — low nibble
// for k < 2, high for k >= 2 — and 2 high bits from bits 2k..2k+1 of
// qh[32h + l]; its value is (d * scales[8h + l / 16 + 2k]) * (q - 32),
// rounded after each multiply as in the portable decoder.
KEEL_TARGET_AVX2 void decode_q6_k(const void* row, float* dst, int64_t n) {
  const auto* src = static_cast<const Byte*>(row);
  const __m256i nibble = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(0x03), bias = _mm256_set1_epi8(32);
  for (int64_t b = 0; b < n / 256; ++b, src += 210, dst += 256) {
    uint16_t bits;
    std::memcpy(&bits, src + 208, sizeof(bits));
    const float d = _cvtsh_ss(bits);
    for (int h = 0; h < 2; ++h) {
      const Byte* ql = src + 64 * h;
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + 128 + 32 * h));
      const auto* scales = reinterpret_cast<const int8_t*>(src + 192 + 8 * h);
      const __m256i ql_first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i ql_second = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i low_bits[4] = {_mm256_and_si256(ql_first, nibble), _mm256_and_si256(ql_second, nibble),
                                   _mm256_and_si256(_mm256_srli_epi16(ql_first, 4), nibble),
                                   _mm256_and_si256(_mm256_srli_epi16(ql_second, 4), nibble)};
      for (int k = 0; k < 4; ++k) {
        const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), two_bits);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low_bits[k], _mm256_slli_epi16(high, 4)), bias);
        const __m128i halves[2] = {_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1)};
        float* out = dst + 128 * h + 32 * k;
        for (int half = 0; half < 2; ++half) {  // elements l = 16 half .. 16 half + 15 share a scale
          const __m256 scale = _mm256_set1_ps(d * static_cast<float>(scales[half + 2 * k]));
          _mm256_storeu_ps(out + 16 * half, scaled_int8x8(halves[half], scale));
          _mm256_storeu_ps(out + 16 * half + 8, scaled_int8x8(_mm_srli_si128(halves[half], 8), scale));
        }
      }
    }
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
    case DType::Q4_K: return decode_q4_k;
    case DType::Q5_K: return decode_q5_k;
    case DType::Q6_K: return decode_q6_k;
    case DType::F16: return decode_f16;
    case DType::BF16: return decode_bf16;
    default: return nullptr;
  }
}

#else

RowDecoder avx2_row_decoder(DType) { return nullptr; }

#endif

}  // namespace keel
