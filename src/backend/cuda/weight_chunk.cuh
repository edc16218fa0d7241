// Decoding one chunk (kChunk = 32 consecutive elements) of a weight row in
// registers, for every stored dtype. The formulas are those of
// core/dequantize.cpp (the CPU's reference decoders): the parity suite
// holds the two to each other.
//
// Where a chunk lies in a row of each type:
//   q8_0                        chunk c is block c, its values at 32c and its
//                               scale at in + 2c (the split layout of
//                               split_row_layout.h, this backend's own)
//   q4_0 / q4_1 / q5_0          chunk c is block c (18 / 20 / 22 bytes)
//   q4_k / q5_k                 chunk c is sub-block c % 8 of block c / 8
//   q6_k                        the same, in the split layout: block b's
//                               208-byte body at 208b, its scale after
//                               the bodies
//   f32 / f16 / bf16            elements 32c .. 32c + 31 (the last chunk of
//                               a row may be short: decode_chunk returns its length)
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "backend/cuda/kernels.h"
#include "backend/cuda/split_row_layout.h"

namespace keel::cuda {

__device__ inline float load_f16(const uint8_t* p) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(p[0] | (p[1] << 8))));
}

// K-quant scale and min of sub-block s (0..7) from the 12 packed bytes
// (6-bit values; see core/k_quant_scales.h).
__device__ inline void k_scale_min(const uint8_t* scales, int s, int* scale, int* min) {
  if (s < 4) {
    *scale = scales[s] & 63;
    *min = scales[s + 4] & 63;
  } else {
    *scale = (scales[s + 4] & 0xF) | ((scales[s - 4] >> 6) << 4);
    *min = (scales[s + 4] >> 4) | ((scales[s] >> 6) << 4);
  }
}

// Q4_K / Q5_K sub-block s of a 256-element block: the low (even s) or high
// (odd s) nibbles of qs[32 * (s / 2) ..], plus Q5_K's fifth bit.
template <bool kFiveBit>
__device__ inline void decode_k4_or_k5(const uint8_t* block, int s, float v[kChunk]) {
  const float d = load_f16(block), dmin = load_f16(block + 2);
  int scale, min;
  k_scale_min(block + 4, s, &scale, &min);
  const float ds = d * static_cast<float>(scale), ms = dmin * static_cast<float>(min);
  const uint8_t* qh = block + 16;
  const uint8_t* qs = block + (kFiveBit ? 48 : 16) + 32 * (s / 2);
  const int shift = (s & 1) * 4;
#pragma unroll
  for (int l = 0; l < kChunk; ++l) {
    int q = (qs[l] >> shift) & 0xF;
    if (kFiveBit) q += ((qh[l] >> s) & 1) << 4;
    v[l] = ds * static_cast<float>(q) - ms;
  }
}

// Q6_K sub-block s of a block body (ql, qh, scales; its scale d apart):
// half n = s / 4 of the block, quarter k = s % 4.
__device__ inline void decode_q6_k(const uint8_t* block, float d, int s, float v[kChunk]) {
  const int n = s / 4, k = s % 4;
  const uint8_t* ql = block + 64 * n + (k & 1) * 32;
  const uint8_t* qh = block + 128 + 32 * n;
  const auto* sc = reinterpret_cast<const int8_t*>(block + 192 + 8 * n);
  const int low_shift = (k >> 1) * 4, high_shift = 2 * k;
#pragma unroll
  for (int l = 0; l < kChunk; ++l) {
    const int q = (((ql[l] >> low_shift) & 0xF) | (((qh[l] >> high_shift) & 3) << 4)) - 32;
    v[l] = d * static_cast<float>(sc[l / 16 + 2 * k]) * static_cast<float>(q);
  }
}

// Decodes chunk `c` of `row` (a row of `in` elements) into v; returns how
// many of v's elements are real (kChunk except at the end of a float row).
template <DType kType>
__device__ inline int decode_chunk(const uint8_t* row, int64_t c, int64_t in, float v[kChunk]) {
  if constexpr (kType == DType::Q8_0) {
    const uint8_t* values = row + split_body_offset(kQ8_0BlockBytes, c);
    const float d = load_f16(row + split_scale_offset(kQ8_0BlockBytes, in / kChunk, c));
    if (reinterpret_cast<uintptr_t>(values) % 16 == 0) {  // rows of a multiple of 256 elements: two 16-byte loads
      const uint4 halves[2] = {reinterpret_cast<const uint4*>(values)[0], reinterpret_cast<const uint4*>(values)[1]};
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const uint32_t words[4] = {halves[h].x, halves[h].y, halves[h].z, halves[h].w};
#pragma unroll
        for (int k = 0; k < 16; ++k)
          v[16 * h + k] = static_cast<float>(static_cast<int8_t>(words[k / 4] >> (8 * (k % 4)))) * d;
      }
    } else {
#pragma unroll
      for (int k = 0; k < kChunk; ++k) v[k] = static_cast<float>(static_cast<int8_t>(values[k])) * d;
    }
  } else if constexpr (kType == DType::Q4_0 || kType == DType::Q4_1) {
    constexpr bool kMin = kType == DType::Q4_1;
    const uint8_t* b = row + c * (kMin ? 20 : 18);
    const float d = load_f16(b);
    const float m = kMin ? load_f16(b + 2) : 0.0f;
    const uint8_t* qs = b + (kMin ? 4 : 2);
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      const int low = qs[j] & 0xF, high = qs[j] >> 4;
      v[j] = kMin ? static_cast<float>(low) * d + m : static_cast<float>(low - 8) * d;
      v[j + 16] = kMin ? static_cast<float>(high) * d + m : static_cast<float>(high - 8) * d;
    }
  } else if constexpr (kType == DType::Q5_0) {
    const uint8_t* b = row + c * 22;
    const float d = load_f16(b);
    const uint32_t qh = b[2] | (b[3] << 8) | (b[4] << 16) | (static_cast<uint32_t>(b[5]) << 24);
    const uint8_t* qs = b + 6;
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      const int low = (qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int high = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      v[j] = static_cast<float>(low - 16) * d;
      v[j + 16] = static_cast<float>(high - 16) * d;
    }
  } else if constexpr (kType == DType::Q4_K || kType == DType::Q5_K) {
    constexpr bool kFive = kType == DType::Q5_K;
    decode_k4_or_k5<kFive>(row + (c / 8) * (kFive ? 176 : 144), static_cast<int>(c % 8), v);
  } else if constexpr (kType == DType::Q6_K) {
    const int64_t block = c / 8;
    decode_q6_k(row + split_body_offset(kQ6_KBlockBytes, block),
                load_f16(row + split_scale_offset(kQ6_KBlockBytes, in / 256, block)), static_cast<int>(c % 8), v);
  } else {  // float types: elements 32c .. min(32c + 32, in)
    const int64_t first = c * kChunk;
    const int n = static_cast<int>(in - first < kChunk ? in - first : kChunk);
#pragma unroll
    for (int k = 0; k < kChunk; ++k) {
      if (k >= n) {
        v[k] = 0.0f;
      } else if constexpr (kType == DType::F32) {
        v[k] = reinterpret_cast<const float*>(row)[first + k];
      } else if constexpr (kType == DType::F16) {
        v[k] = __half2float(reinterpret_cast<const __half*>(row)[first + k]);
      } else {
        v[k] = __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(row)[first + k]);
      }
    }
    return n;
  }
  return kChunk;
}

template <DType kType>
using DTypeTag = std::integral_constant<DType, kType>;

// Calls fn(DTypeTag<kType>{}) for the run-time dtype `type`; the callee
// reads the dtype back as decltype(tag)::value, a compile-time constant.
template <class Fn>
void dispatch_dtype(DType type, Fn&& fn) {
  switch (type) {
    case DType::F32: fn(DTypeTag<DType::F32>{}); break;
    case DType::F16: fn(DTypeTag<DType::F16>{}); break;
    case DType::BF16: fn(DTypeTag<DType::BF16>{}); break;
    case DType::Q8_0: fn(DTypeTag<DType::Q8_0>{}); break;
    case DType::Q4_0: fn(DTypeTag<DType::Q4_0>{}); break;
    case DType::Q4_1: fn(DTypeTag<DType::Q4_1>{}); break;
    case DType::Q5_0: fn(DTypeTag<DType::Q5_0>{}); break;
    case DType::Q4_K: fn(DTypeTag<DType::Q4_K>{}); break;
    case DType::Q5_K: fn(DTypeTag<DType::Q5_K>{}); break;
    case DType::Q6_K: fn(DTypeTag<DType::Q6_K>{}); break;
  }
}

// Bytes of `elems` elements of a row (elems a multiple of the block size,
// or any count for the float types).
__host__ __device__ constexpr int64_t row_span_bytes(DType type, int64_t elems) {
  switch (type) {
    case DType::F32: return elems * 4;
    case DType::F16:
    case DType::BF16: return elems * 2;
    case DType::Q8_0: return elems / 32 * 34;
    case DType::Q4_0: return elems / 32 * 18;
    case DType::Q4_1: return elems / 32 * 20;
    case DType::Q5_0: return elems / 32 * 22;
    case DType::Q4_K: return elems / 256 * 144;
    case DType::Q5_K: return elems / 256 * 176;
    case DType::Q6_K: return elems / 256 * 210;
  }
  return 0;
}

__host__ __device__ inline int64_t chunks_per_row(int64_t in) { return (in + kChunk - 1) / kChunk; }

}  // namespace keel::cuda
