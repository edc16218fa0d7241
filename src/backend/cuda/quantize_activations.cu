// quantize_activations: a matmul input's float32 rows cut into int16 blocks
// of 32 columns, the input side of the integer-dot matvec (matvec_int.cu).
//
// The formula is the CPU's (backend/cpu/quantized_activations.h), so both
// fast paths see the same integers: per block
//   s = max|x| / 32767,   q[k] = round_half_even(x[k] · (32767 / max|x|)),
// clamped to ±32767, and the block's integer sum Σ q (for the weight types
// with a per-block minimum). One warp quantizes one block: lane k holds
// column k, and the maximum and the sum are warp reductions.
#include "backend/cuda/kernels.h"
#include "backend/cuda/warp_reduce.cuh"

namespace keel::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;

__global__ void quantize_kernel(const float* __restrict__ x, int64_t n_blocks, QuantizedInput out) {
  const int lane = threadIdx.x % 32;
  const int64_t block = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (block >= n_blocks) return;  // a whole warp leaves together
  const float value = x[block * kQuantBlock + lane];
  const float amax = warp_max(fabsf(value));
  constexpr float kMax = static_cast<float>(kQuantMax);
  const float inverse = amax > 0.0f ? kMax / amax : 0.0f;
  const int q = max(-kQuantMax, min(kQuantMax, __float2int_rn(value * inverse)));
  out.values[block * kQuantBlock + lane] = static_cast<int16_t>(q);
  const int sum = warp_sum(q);
  if (lane == 0) {
    out.scales[block] = amax / kMax;
    out.sums[block] = sum;
  }
}

}  // namespace

void quantize_activations(const float* x, int64_t n_tokens, int64_t in, QuantizedInput out, cudaStream_t stream) {
  const int64_t n_blocks = n_tokens * (in / kQuantBlock);
  const unsigned grid = static_cast<unsigned>((n_blocks + kWarpsPerBlock - 1) / kWarpsPerBlock);
  quantize_kernel<<<grid, 32 * kWarpsPerBlock, 0, stream>>>(x, n_blocks, out);
}

}  // namespace keel::cuda
