// RoPE in place, one thread per rotated pair (token, head, pair j). The
// angle is formed in float32 as transformers forms it (position times the
// pair's inverse frequency); sincosf reduces large angles accurately.
//   neox style: pair j is (j, j + rotary_dims / 2)
//   interleaved (GPT-J / GLM) style: pair j is (2j, 2j + 1)
#include "backend/cuda/kernels.h"

namespace keel::cuda {
namespace {

constexpr int kBlock = 256;

__global__ void rope_kernel(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
                            const int32_t* __restrict__ positions, bool neox, int64_t half,
                            const float* __restrict__ inv_frequency) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n_tokens * n_heads * half) return;
  const int64_t j = index % half;
  const int64_t head = index / half;  // token * n_heads + h
  const int64_t t = head / n_heads;
  float* h = x + head * head_dim;
  const float angle = static_cast<float>(positions[t]) * inv_frequency[j];
  float sin_a, cos_a;
  sincosf(angle, &sin_a, &cos_a);
  float& a = h[neox ? j : 2 * j];
  float& b = h[neox ? j + half : 2 * j + 1];
  const float a0 = a, b0 = b;
  a = a0 * cos_a - b0 * sin_a;
  b = b0 * cos_a + a0 * sin_a;
}

}  // namespace

void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions, RopeStyle style,
          int64_t rotary_dims, const float* inv_frequency, cudaStream_t stream) {
  const int64_t half = rotary_dims / 2;
  const int64_t threads = n_tokens * n_heads * half;
  if (threads == 0) return;
  rope_kernel<<<static_cast<unsigned>((threads + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
      x, n_tokens, n_heads, head_dim, positions, style == RopeStyle::kNeox, half, inv_frequency);
}

}  // namespace keel::cuda
