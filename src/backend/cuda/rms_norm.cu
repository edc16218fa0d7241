// RMSNorm, one block per row: the sum of squares is reduced across the
// block in float32, then every element is scaled. y may equal x (each
// element is read before it is written, by the same thread).
#include "backend/cuda/kernels.h"

namespace keel::cuda {
namespace {

constexpr int kBlock = 256;

__global__ void rms_norm_kernel(const float* x, int64_t dim, const float* __restrict__ weight, float eps, float* y) {
  const float* in = x + static_cast<int64_t>(blockIdx.x) * dim;
  float* out = y + static_cast<int64_t>(blockIdx.x) * dim;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < dim; i += kBlock) sum = fmaf(in[i], in[i], sum);
  __shared__ float warp_sums[kBlock / 32];
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
  if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = sum;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < kBlock / 32; ++w) total += warp_sums[w];
  const float inv_rms = rsqrtf(total / static_cast<float>(dim) + eps);
  for (int64_t i = threadIdx.x; i < dim; i += kBlock) out[i] = weight[i] * (in[i] * inv_rms);
}

}  // namespace

void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y,
              cudaStream_t stream) {
  if (rows == 0) return;
  rms_norm_kernel<<<static_cast<unsigned>(rows), kBlock, 0, stream>>>(x, dim, weight, eps, y);
}

}  // namespace keel::cuda
