// matvec_q8_0: the fast path's decode matmul for Q8_0 weights, integer dot
// products on int16-quantized activations, with the weight read straight
// from device memory into registers.
//
// The backend stores a Q8_0 row split into its int8 values and its f16
// scales (split_row_layout.h), so the values are a plain int8 array, and
// this kernel reads them as matvec_16bit reads 16-bit rows:
//  - one warp owns one output row; lane l takes 16 consecutive values (a
//    half block, one 16-byte load) at a time, lanes side by side, so a
//    warp's load is 512 contiguous bytes;
//  - each lane issues kLoadsInFlight such loads before it uses any of them,
//    which keeps enough bytes in flight per multiprocessor to cover latency;
//  - a half block's contribution to y[t, o] is
//      s_t,b · (d_b · Σ_{k in the half} w_k q_tk)
//    with the integer sum exact (dp2a: two int16 × int8 products), d_b the
//    block's weight scale and s_t,b the activation block's scale.
// Rows that are not 16-byte aligned (cols not a multiple of 256) take the
// same kernel with narrower loads.
//
// A token's sum does not depend on how many tokens share the launch: each
// lane adds its half blocks for token t in the same order whatever n_tokens
// is, and the lanes are reduced by the same shuffle tree.
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/aligned_load.cuh"
#include "backend/cuda/kernels.h"
#include "backend/cuda/split_row_layout.h"
#include "backend/cuda/warp_per_row.cuh"

namespace keel::cuda {
namespace {

constexpr int kElemsPerLoad = 16;  // a half block: 16 int8 values
constexpr int kLoadsInFlight = 4;  // per lane, before the first is used
constexpr int64_t kWarpStride = 32 * kElemsPerLoad;

// Σ w·q over 16 elements: w as four words of four signed bytes, q the 16
// int16 activations at x (32 bytes, 32-byte aligned).
__device__ inline int half_block_dot(const uint4& w, const int16_t* x) {
  const int4* xv = reinterpret_cast<const int4*>(x);
  const int4 a = __ldg(xv), b = __ldg(xv + 1);  // elements 0..7, 8..15
  int sum = 0;
  sum = __dp2a_lo(a.x, static_cast<int>(w.x), sum);
  sum = __dp2a_hi(a.y, static_cast<int>(w.x), sum);
  sum = __dp2a_lo(a.z, static_cast<int>(w.y), sum);
  sum = __dp2a_hi(a.w, static_cast<int>(w.y), sum);
  sum = __dp2a_lo(b.x, static_cast<int>(w.z), sum);
  sum = __dp2a_hi(b.y, static_cast<int>(w.z), sum);
  sum = __dp2a_lo(b.z, static_cast<int>(w.w), sum);
  sum = __dp2a_hi(b.w, static_cast<int>(w.w), sum);
  return sum;
}

template <int kTokens, int kAlign>
__global__ void __launch_bounds__(32 * kWarpRowsPerBlock)
    matvec_q8_0_kernel(QuantizedInput x, int n_tokens, int64_t in, const uint8_t* __restrict__ w, int64_t row_bytes,
                       int64_t out, const float* __restrict__ bias, float* __restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpRowsPerBlock + threadIdx.x / 32;
  if (row >= out) return;  // a whole warp leaves together
  const uint8_t* values = w + row * row_bytes;  // [in] int8, then [in / 32] f16 scales
  const int64_t blocks_per_row = in / kQuantBlock;
  const auto* scales = reinterpret_cast<const __half*>(values + split_scale_offset(kQ8_0BlockBytes, blocks_per_row, 0));
  float sum[kTokens] = {};
  for (int64_t first = lane * kElemsPerLoad; first < in; first += kLoadsInFlight * kWarpStride) {
    uint4 words[kLoadsInFlight];
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u)
      if (first + u * kWarpStride < in) words[u] = load_16_bytes<kAlign>(values + first + u * kWarpStride);
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t k = first + u * kWarpStride;
      if (k >= in) break;
      const int64_t block = k / kQuantBlock;
      const float d = __half2float(scales[block]);
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n_tokens) break;
        const int dot = half_block_dot(words[u], x.values + t * in + k);
        sum[t] = fmaf(x.scales[t * blocks_per_row + block], d * static_cast<float>(dot), sum[t]);
      }
    }
  }
  store_row_totals(sum, n_tokens, lane, row, out, bias, y);
}

}  // namespace

void matvec_int_q8_0(const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                     int64_t out, const float* bias, float* y, cudaStream_t stream) {
  // Every half block starts at a multiple of 16 bytes from its row's start.
  with_row_alignment(w, row_bytes, [&](auto align) {
    with_token_capacity(n_tokens, [&](auto tokens) {
      constexpr int kTokens = decltype(tokens)::value, kAlign = decltype(align)::value;
      matvec_q8_0_kernel<kTokens, kAlign><<<warp_per_row_grid(out), warp_per_row_block(), 0, stream>>>(
          x, n_tokens, in, static_cast<const uint8_t*>(w), row_bytes, out, bias, y);
    });
  });
}

}  // namespace keel::cuda
