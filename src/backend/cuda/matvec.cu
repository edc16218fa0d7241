// matvec: the weight-streaming matmul for small batches (decode).
//
// One warp per output row: lane l decodes chunks l, l + 32, ... of the
// row in registers and dots each with the same 32 columns of every token
// row, so the weight is read from device memory once for the whole batch
// (n_tokens <= kMatvecMaxTokens) and never written out as float. A warp
// reads 32 consecutive chunks, i.e. one contiguous stretch of the row.
//
// A token's sum does not depend on how many tokens share the launch: each
// token has its own accumulator, filled in the same chunk order and
// reduced by the same shuffle tree, so batching changes no result.
#include "backend/cuda/kernels.h"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

__device__ inline float warp_sum(float value) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

template <DType kType, int kTokens>
__global__ void matvec_kernel(const float* __restrict__ x, int n_tokens, int64_t in, const uint8_t* __restrict__ w,
                              int64_t row_bytes, int64_t out, const float* __restrict__ bias,
                              float* __restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  if (row >= out) return;
  const uint8_t* weights = w + row * row_bytes;
  float sum[kTokens] = {};
  const int64_t chunks = chunks_per_row(in);
  for (int64_t c = lane; c < chunks; c += 32) {
    float v[kChunk];
    const int n = decode_chunk<kType>(weights, c, in, v);
    const int64_t first = c * kChunk;
#pragma unroll
    for (int t = 0; t < kTokens; ++t) {
      if (t >= n_tokens) break;
      const float* xt = x + t * in + first;
      float partial = 0.0f;
      if (n == kChunk) {
#pragma unroll
        for (int k = 0; k < kChunk; ++k) partial = fmaf(v[k], xt[k], partial);
      } else {
        for (int k = 0; k < n; ++k) partial = fmaf(v[k], xt[k], partial);
      }
      sum[t] += partial;
    }
  }
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n_tokens) break;
    const float total = warp_sum(sum[t]);
    if (lane == 0) y[t * out + row] = total + (bias != nullptr ? bias[row] : 0.0f);
  }
}

template <DType kType>
void launch_matvec(const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes, int64_t out,
                   const float* bias, float* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((out + kWarpsPerBlock - 1) / kWarpsPerBlock));
  const dim3 block(32 * kWarpsPerBlock);
  const auto* bytes = static_cast<const uint8_t*>(w);
  // Fewer accumulators for fewer tokens: one-token decode keeps registers free.
  if (n_tokens == 1) {
    matvec_kernel<kType, 1><<<grid, block, 0, stream>>>(x, n_tokens, in, bytes, row_bytes, out, bias, y);
  } else if (n_tokens <= 4) {
    matvec_kernel<kType, 4><<<grid, block, 0, stream>>>(x, n_tokens, in, bytes, row_bytes, out, bias, y);
  } else {
    matvec_kernel<kType, kMatvecMaxTokens><<<grid, block, 0, stream>>>(x, n_tokens, in, bytes, row_bytes, out, bias, y);
  }
}

}  // namespace

void matvec(DType type, const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes, int64_t out,
            const float* bias, float* y, cudaStream_t stream) {
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    launch_matvec<kType>(x, n_tokens, in, w, row_bytes, out, bias, y, stream);
  });
}

}  // namespace keel::cuda
