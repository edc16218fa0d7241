// Row conversion between float32 and the stored weight formats.
//
// Block layouts and decoding formulas: ../shared/reference/
// models-and-formats.md §2.5. Encoders follow the rounding rules of
// ggml's reference (non-imatrix) quantizers so that a file keel writes
// decodes to the same numbers as one written by llama.cpp's tools:
//   Q8_0  d = absmax / 127,  q = round-half-away(x / d)
//   Q4_0  d = (signed value of largest magnitude) / -8, q = min(15, trunc(x/d + 8.5))
//   Q4_1  d = (max - min) / 15, m = min, q = min(15, trunc((x - m)/d + 0.5))
//   Q5_0  d = (signed value of largest magnitude) / -16, q = min(31, trunc(x/d + 16.5))
// Scales are computed in float32 and stored as f16; the reciprocal used to
// quantize comes from the unrounded float32 scale, as in ggml.
//
// Blocks are read byte-wise (memcpy for multi-byte fields) because a row
// inside a memory-mapped file has no alignment guarantee.
#include "core/dequantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"
#include "core/half.h"
#include "core/k_quant_scales.h"

namespace keel {
namespace {

using Byte = uint8_t;

float load_f16(const Byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof(bits));
  return f16_to_f32(bits);
}

void store_f16(Byte* p, float value) {
  const uint16_t bits = f32_to_f16(value);
  std::memcpy(p, &bits, sizeof(bits));
}

// ---- 32-element blocks -------------------------------------------------

// Q8_0: d:f16, qs:i8[32].
void dequantize_q8_0(const Byte* block, float* y) {
  const float d = load_f16(block);
  for (int k = 0; k < 32; ++k) y[k] = static_cast<float>(static_cast<int8_t>(block[2 + k])) * d;
}

// Q4_0: d:f16, qs:u8[16]; low nibbles are elements 0..15, high nibbles 16..31.
void dequantize_q4_0(const Byte* block, float* y) {
  const float d = load_f16(block);
  const Byte* qs = block + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0xF) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

// Q4_1: d:f16, m:f16, qs:u8[16].
void dequantize_q4_1(const Byte* block, float* y) {
  const float d = load_f16(block);
  const float m = load_f16(block + 2);
  const Byte* qs = block + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0xF) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

// Q5_0: d:f16, qh:u8[4] (bit k = fifth bit of element k), qs:u8[16].
void dequantize_q5_0(const Byte* block, float* y) {
  const float d = load_f16(block);
  uint32_t qh;
  std::memcpy(&qh, block + 2, sizeof(qh));
  const Byte* qs = block + 6;
  for (int j = 0; j < 16; ++j) {
    const int low = (qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int high = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = static_cast<float>(low - 16) * d;
    y[j + 16] = static_cast<float>(high - 16) * d;
  }
}

// ---- 256-element K-quant super-blocks ----------------------------------

// Q4_K: d:f16, dmin:f16, scales:u8[12], qs:u8[128]. Each 64-element chunk
// c uses 32 bytes of qs: low nibbles for sub-block 2c, high for 2c+1.
// Q5_K has the same shape plus qh:u8[32] holding a fifth bit per element
// (bit 2c / 2c+1 of qh[l]); `qh` is null for Q4_K.
void dequantize_k4_or_k5(const Byte* block, const Byte* qh, const Byte* qs, float* y) {
  const float d = load_f16(block);
  const float dmin = load_f16(block + 2);
  const Byte* scales = block + 4;
  for (int c = 0; c < 4; ++c) {
    int scale_low, min_low, scale_high, min_high;
    unpack_scale_min(scales, 2 * c, &scale_low, &min_low);
    unpack_scale_min(scales, 2 * c + 1, &scale_high, &min_high);
    const float d_low = d * static_cast<float>(scale_low), m_low = dmin * static_cast<float>(min_low);
    const float d_high = d * static_cast<float>(scale_high), m_high = dmin * static_cast<float>(min_high);
    for (int l = 0; l < 32; ++l) {
      int low = qs[32 * c + l] & 0xF;
      int high = qs[32 * c + l] >> 4;
      if (qh != nullptr) {
        low += ((qh[l] >> (2 * c)) & 1) << 4;
        high += ((qh[l] >> (2 * c + 1)) & 1) << 4;
      }
      y[64 * c + l] = d_low * static_cast<float>(low) - m_low;
      y[64 * c + 32 + l] = d_high * static_cast<float>(high) - m_high;
    }
  }
}

void dequantize_q4_k(const Byte* block, float* y) { dequantize_k4_or_k5(block, nullptr, block + 16, y); }
void dequantize_q5_k(const Byte* block, float* y) { dequantize_k4_or_k5(block, block + 16, block + 48, y); }

// Q6_K: ql:u8[128] (low 4 bits), qh:u8[64] (high 2 bits), scales:i8[16],
// d:f16 last. Two halves of 128 elements; within a half, four 32-element
// groups share ql/qh bytes and take successive 2-bit fields of qh.
void dequantize_q6_k(const Byte* block, float* y) {
  const float d = load_f16(block + 208);
  for (int n = 0; n < 2; ++n) {
    const Byte* ql = block + 64 * n;
    const Byte* qh = block + 128 + 32 * n;
    const auto* sc = reinterpret_cast<const int8_t*>(block + 192 + 8 * n);
    float* out = y + 128 * n;
    for (int l = 0; l < 32; ++l) {
      const int i = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      out[l] = d * static_cast<float>(sc[i + 0]) * static_cast<float>(q1);
      out[l + 32] = d * static_cast<float>(sc[i + 2]) * static_cast<float>(q2);
      out[l + 64] = d * static_cast<float>(sc[i + 4]) * static_cast<float>(q3);
      out[l + 96] = d * static_cast<float>(sc[i + 6]) * static_cast<float>(q4);
    }
  }
}

// ---- encoders -----------------------------------------------------------

// The element of largest magnitude, keeping its sign (first one on ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

// ggml converts with a truncating cast and clamps only the top; clamping
// both ends in float first gives the same result for finite inputs and
// keeps NaN or infinity from reaching an undefined float-to-int conversion.
int truncate_clamped(float value, int top) {
  return static_cast<int>(std::clamp(value, 0.0f, static_cast<float>(top)));
}

void quantize_q8_0(const float* x, Byte* block) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(block, d);
  for (int j = 0; j < 32; ++j) {
    const float q = std::clamp(std::round(x[j] * id), -127.0f, 127.0f);  // round half away from zero, as roundf
    block[2 + j] = static_cast<Byte>(static_cast<int8_t>(q));
  }
}

void quantize_q4_0(const float* x, Byte* block) {
  const float d = signed_absmax(x, 32) / -8.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(block, d);
  for (int j = 0; j < 16; ++j) {
    const int low = truncate_clamped(x[j] * id + 8.5f, 15);
    const int high = truncate_clamped(x[j + 16] * id + 8.5f, 15);
    block[2 + j] = static_cast<Byte>(low | (high << 4));
  }
}

void quantize_q4_1(const float* x, Byte* block) {
  float min = x[0], max = x[0];
  for (int j = 1; j < 32; ++j) {
    min = std::min(min, x[j]);
    max = std::max(max, x[j]);
  }
  const float d = (max - min) / 15.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(block, d);
  store_f16(block + 2, min);
  for (int j = 0; j < 16; ++j) {
    const int low = truncate_clamped((x[j] - min) * id + 0.5f, 15);
    const int high = truncate_clamped((x[j + 16] - min) * id + 0.5f, 15);
    block[4 + j] = static_cast<Byte>(low | (high << 4));
  }
}

void quantize_q5_0(const float* x, Byte* block) {
  const float d = signed_absmax(x, 32) / -16.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_f16(block, d);
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    const int low = truncate_clamped(x[j] * id + 16.5f, 31);
    const int high = truncate_clamped(x[j + 16] * id + 16.5f, 31);
    block[6 + j] = static_cast<Byte>((low & 0xF) | ((high & 0xF) << 4));
    qh |= static_cast<uint32_t>(low >> 4) << j;
    qh |= static_cast<uint32_t>(high >> 4) << (j + 16);
  }
  std::memcpy(block + 2, &qh, sizeof(qh));
}

using BlockEncoder = void (*)(const float*, Byte*);

// One function per type decodes a whole row (n elements), so that the
// block decoder is inlined into its loop. This is the portable reference
// codec: plain C++ for the baseline ISA. The CPU backend's hand-written
// AVX2 decoders (backend/cpu/dequantize_avx2.cpp) are tested against it.
#define KEEL_ROW_DECODER(row_function, block_function, block_elems, block_bytes)                 \
  void row_function(const void* src, float* dst, int64_t n) {                 \
    const auto* bytes = static_cast<const Byte*>(src);                                           \
    for (int64_t b = 0; b < n / (block_elems); ++b)                                              \
      block_function(bytes + b * (block_bytes), dst + b * (block_elems));                        \
  }
KEEL_ROW_DECODER(dequantize_row_q8_0, dequantize_q8_0, 32, 34)
KEEL_ROW_DECODER(dequantize_row_q4_0, dequantize_q4_0, 32, 18)
KEEL_ROW_DECODER(dequantize_row_q4_1, dequantize_q4_1, 32, 20)
KEEL_ROW_DECODER(dequantize_row_q5_0, dequantize_q5_0, 32, 22)
KEEL_ROW_DECODER(dequantize_row_q4_k, dequantize_q4_k, 256, 144)
KEEL_ROW_DECODER(dequantize_row_q5_k, dequantize_q5_k, 256, 176)
KEEL_ROW_DECODER(dequantize_row_q6_k, dequantize_q6_k, 256, 210)
#undef KEEL_ROW_DECODER

void dequantize_row_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_row_f16(const void* src, float* dst, int64_t n) {
  for (int64_t k = 0; k < n; ++k) dst[k] = load_f16(static_cast<const Byte*>(src) + 2 * k);
}

void dequantize_row_bf16(const void* src, float* dst, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    uint16_t bits;
    std::memcpy(&bits, static_cast<const Byte*>(src) + 2 * k, sizeof(bits));
    dst[k] = bf16_to_f32(bits);
  }
}

BlockEncoder block_encoder(DType type) {
  switch (type) {
    case DType::Q8_0: return quantize_q8_0;
    case DType::Q4_0: return quantize_q4_0;
    case DType::Q4_1: return quantize_q4_1;
    case DType::Q5_0: return quantize_q5_0;
    default: return nullptr;
  }
}

}  // namespace

RowDecoder portable_row_decoder(DType type) {
  switch (type) {
    case DType::F32: return dequantize_row_f32;
    case DType::F16: return dequantize_row_f16;
    case DType::BF16: return dequantize_row_bf16;
    case DType::Q8_0: return dequantize_row_q8_0;
    case DType::Q4_0: return dequantize_row_q4_0;
    case DType::Q4_1: return dequantize_row_q4_1;
    case DType::Q5_0: return dequantize_row_q5_0;
    case DType::Q4_K: return dequantize_row_q4_k;
    case DType::Q5_K: return dequantize_row_q5_k;
    case DType::Q6_K: return dequantize_row_q6_k;
  }
  KEEL_CHECK(false, "dequantize_row: no decoder for this dtype");
  return nullptr;
}

void dequantize_row(DType type, const void* src, float* dst, int64_t n) {
  KEEL_CHECK(n >= 0 && n % dtype_info(type).block_elems == 0,
             "dequantize_row: length not a multiple of the block size");
  portable_row_decoder(type)(src, dst, n);
}

bool quantize_row(DType type, const float* src, void* dst, int64_t n) {
  const DTypeInfo& info = dtype_info(type);
  KEEL_CHECK(n >= 0 && n % info.block_elems == 0, "quantize_row: length not a multiple of the block size");
  auto* bytes = static_cast<Byte*>(dst);
  switch (type) {
    case DType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return true;
    case DType::F16:
      for (int64_t k = 0; k < n; ++k) store_f16(bytes + 2 * k, src[k]);
      return true;
    case DType::BF16:
      for (int64_t k = 0; k < n; ++k) {
        const uint16_t bits = f32_to_bf16(src[k]);
        std::memcpy(bytes + 2 * k, &bits, sizeof(bits));
      }
      return true;
    default:
      break;
  }
  const BlockEncoder encode = block_encoder(type);
  if (encode == nullptr) return false;
  const int64_t blocks = n / info.block_elems;
  for (int64_t b = 0; b < blocks; ++b) encode(src + b * info.block_elems, bytes + b * info.block_bytes);
  return true;
}

}  // namespace keel
