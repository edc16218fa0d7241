// What the weight-streaming kernels that give each output row one warp
// (matvec_16bit.cu, matvec_q8_0.cu, matvec_q6_k.cu) share: the launch
// shape, the choice of a kernel instance by the batch's token count (which
// matvec_int.cu, a block per four rows, uses too), and the end of a row,
// where each token's lane sums become one output.
#pragma once

#include <cstdint>
#include <type_traits>

#include "backend/cuda/kernels.h"
#include "backend/cuda/warp_reduce.cuh"

namespace keel::cuda {

constexpr int kWarpRowsPerBlock = 4;  // one warp per output row

inline dim3 warp_per_row_grid(int64_t out) {
  return dim3(static_cast<unsigned>((out + kWarpRowsPerBlock - 1) / kWarpRowsPerBlock));
}
inline dim3 warp_per_row_block() { return dim3(32 * kWarpRowsPerBlock); }

// Calls fn(std::integral_constant<int, T>{}) with T the fewest token
// accumulators (1, 4 or kMatvecMaxTokens) that hold n_tokens: one-token
// decode keeps its registers free.
template <class Fn>
void with_token_capacity(int n_tokens, Fn&& fn) {
  if (n_tokens == 1) {
    fn(std::integral_constant<int, 1>{});
  } else if (n_tokens <= 4) {
    fn(std::integral_constant<int, 4>{});
  } else {
    fn(std::integral_constant<int, kMatvecMaxTokens>{});
  }
}

// y[t, row] = the warp's total of sum[t] (+ bias[row]), for t < n_tokens,
// written by lane 0; every lane takes part in the reductions.
template <int kTokens>
__device__ inline void store_row_totals(const float (&sum)[kTokens], int n_tokens, int lane, int64_t row, int64_t out,
                                        const float* __restrict__ bias, float* __restrict__ y) {
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n_tokens) break;
    const float total = warp_sum(sum[t]);
    if (lane == 0) y[t * out + row] = total + (bias != nullptr ? bias[row] : 0.0f);
  }
}

}  // namespace keel::cuda
