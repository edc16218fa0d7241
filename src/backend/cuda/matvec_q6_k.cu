// matvec_q6_k: the fast path's decode matmul for Q6_K weights, integer dot
// products on int16-quantized activations, with the weight read straight
// from device memory into registers.
//
// The backend stores a Q6_K row split (split_row_layout.h): the blocks'
// 208-byte bodies side by side, then their f16 scales d. A body is
//   ql[128]: low nibbles | qh[64]: high bit pairs | sc[16]: int8 scales
// and sub-block s (elements 32s .. 32s+31) of a block, with n = s / 4 and
// k = s % 4, takes
//   q = (ql[64n + 32(k & 1) + l] >> 4(k >> 1)) & 15  |  ((qh[32n + l] >> 2k) & 3) << 4,   w = d · sc[2k + l / 16] · (q − 32)
// for l < 32 (core/dequantize.cpp's formula).
//
// Lane l of a warp takes sub-block l % 8 of block l / 8 of the warp's
// current group of 4 blocks: its 32 ql bytes and 32 qh bytes as 16-byte
// loads (the ql and qh that two and four lanes share come from the same
// addresses, so memory sees each byte once), its two scales, and d; two
// groups in flight before any is used. Each 16-element half contributes
//   s_t,b · d·sc · Σ_k q_k x_tk
// to y[t, o] with the integer sum exact (dp2a).
//
// A token's sum does not depend on how many tokens share the launch: each
// lane adds its sub-blocks for token t in the same order whatever n_tokens
// is, and the lanes are reduced by the same shuffle tree.
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/aligned_load.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/split_row_layout.h"
#include "backend/cuda/warp_per_row.cuh"

namespace keel::cuda {
namespace {

constexpr int kBlockElems = 256;
constexpr int kBlocksPerGroup = 4;  // a warp's 32 lanes: 4 blocks x 8 sub-blocks
constexpr int kGroupsInFlight = 2;  // per lane, loaded before the first is used

struct SubBlock {
  uint4 ql[2], qh[2];
  uint32_t scales;  // sc[2k] in bits 0..7, sc[2k + 1] in bits 8..15
  float d;
};

template <int kAlign>
__device__ inline SubBlock load_sub_block(const uint8_t* body, const uint8_t* d, int s) {
  const int n = s / 4, k = s % 4;
  SubBlock b;
  b.ql[0] = load_16_bytes<kAlign>(body + 64 * n + 32 * (k & 1));
  b.ql[1] = load_16_bytes<kAlign>(body + 64 * n + 32 * (k & 1) + 16);
  b.qh[0] = load_16_bytes<kAlign>(body + 128 + 32 * n);
  b.qh[1] = load_16_bytes<kAlign>(body + 128 + 32 * n + 16);
  b.scales = __ldg(reinterpret_cast<const uint16_t*>(body + 192 + 8 * n + 2 * k));
  b.d = __half2float(__ldg(reinterpret_cast<const __half*>(d)));
  return b;
}

__device__ inline uint32_t word_of(const uint4 (&v)[2], int i) {
  const uint4& half = v[i / 4];
  const int k = i % 4;
  return k == 0 ? half.x : (k == 1 ? half.y : (k == 2 ? half.z : half.w));
}

// Σ w·q over 16 elements: w as four words of four signed bytes, q the 16
// int16 activations at x (32 bytes, 32-byte aligned).
__device__ inline int half_dot(const uint32_t w[4], const int16_t* x) {
  const int4* xv = reinterpret_cast<const int4*>(x);
  const int4 a = __ldg(xv), b = __ldg(xv + 1);
  int sum = 0;
  sum = __dp2a_lo(a.x, static_cast<int>(w[0]), sum);
  sum = __dp2a_hi(a.y, static_cast<int>(w[0]), sum);
  sum = __dp2a_lo(a.z, static_cast<int>(w[1]), sum);
  sum = __dp2a_hi(a.w, static_cast<int>(w[1]), sum);
  sum = __dp2a_lo(b.x, static_cast<int>(w[2]), sum);
  sum = __dp2a_hi(b.y, static_cast<int>(w[2]), sum);
  sum = __dp2a_lo(b.z, static_cast<int>(w[3]), sum);
  sum = __dp2a_hi(b.w, static_cast<int>(w[3]), sum);
  return sum;
}

template <int kTokens, int kAlign>
__global__ void __launch_bounds__(32 * kWarpRowsPerBlock)
    matvec_q6_k_kernel(QuantizedInput x, int n_tokens, int64_t in, const uint8_t* __restrict__ w, int64_t row_bytes,
                       int64_t out, const float* __restrict__ bias, float* __restrict__ y) {
  const int lane = threadIdx.x % 32, s = lane % 8, k = s % 4;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpRowsPerBlock + threadIdx.x / 32;
  if (row >= out) return;  // a whole warp leaves together
  const uint8_t* weights = w + row * row_bytes;
  const int64_t blocks = in / kBlockElems;
  const int64_t blocks_per_x_row = in / kQuantBlock;
  const int low_shift = 4 * (k >> 1), high_shift = 2 * k;
  float sum[kTokens] = {};
  for (int64_t first = lane / 8; first < blocks; first += kGroupsInFlight * kBlocksPerGroup) {
    SubBlock parts[kGroupsInFlight];
#pragma unroll
    for (int g = 0; g < kGroupsInFlight; ++g) {
      const int64_t block = first + g * kBlocksPerGroup;
      if (block < blocks)
        parts[g] = load_sub_block<kAlign>(weights + split_body_offset(kQ6_KBlockBytes, block),
                                          weights + split_scale_offset(kQ6_KBlockBytes, blocks, block), s);
    }
#pragma unroll
    for (int g = 0; g < kGroupsInFlight; ++g) {
      const int64_t block = first + g * kBlocksPerGroup;
      if (block >= blocks) break;
      const SubBlock& p = parts[g];
      uint32_t values[8];
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const uint32_t low = (word_of(p.ql, i) >> low_shift) & 0x0F0F0F0Fu;
        const uint32_t high = ((word_of(p.qh, i) >> high_shift) & 0x03030303u) << 4;
        values[i] = __vsub4(low | high, 0x20202020u);  // Q6_K stores q + 32
      }
      const float c_lo = p.d * static_cast<float>(static_cast<int8_t>(p.scales & 0xFFu));
      const float c_hi = p.d * static_cast<float>(static_cast<int8_t>((p.scales >> 8) & 0xFFu));
      const int64_t x_block = block * (kBlockElems / kQuantBlock) + s;  // the activation block under sub-block s
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n_tokens) break;
        const int16_t* xs = x.values + t * in + x_block * kQuantBlock;
        const int lo = half_dot(values, xs), hi = half_dot(values + 4, xs + 16);
        const float inner = c_lo * static_cast<float>(lo) + c_hi * static_cast<float>(hi);
        sum[t] = fmaf(x.scales[t * blocks_per_x_row + x_block], inner, sum[t]);
      }
    }
  }
  store_row_totals(sum, n_tokens, lane, row, out, bias, y);
}

}  // namespace

void matvec_int_q6_k(const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                     int64_t out, const float* bias, float* y, cudaStream_t stream) {
  // Every body starts at a multiple of 16 bytes (208) from its row's start.
  with_row_alignment(w, row_bytes, [&](auto align) {
    with_token_capacity(n_tokens, [&](auto tokens) {
      constexpr int kTokens = decltype(tokens)::value, kAlign = decltype(align)::value;
      matvec_q6_k_kernel<kTokens, kAlign><<<warp_per_row_grid(out), warp_per_row_block(), 0, stream>>>(
          x, n_tokens, in, static_cast<const uint8_t*>(w), row_bytes, out, bias, y);
    });
  });
}

}  // namespace keel::cuda
