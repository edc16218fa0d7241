// Causal attention over the paged KV cache, one block per (row, query
// head), in the flash-attention manner: the row's context is walked in
// tiles of kThreads positions; each thread scores one position of the
// tile, the block keeps a running max and sum (online softmax, float32),
// and each thread accumulates its own dims of the output over the tile's
// values. Nothing of size context is ever materialized, so any context
// length runs in fixed shared memory.
//
// Addresses come from the step's batch: row -> sequence by query_start,
// position p -> slot block_tables[s][p / block_size] * block_size + p % block_size.
#include <cmath>

#include "backend/cuda/kernels.h"
#include "backend/cuda/kv_value.cuh"

namespace keel::cuda {
namespace {

constexpr int kThreads = 128;
constexpr int kDimsPerThread = kMaxHeadDim / kThreads;

// Reduces `value` over the block with `op`; every thread gets the result.
template <class Op>
__device__ float block_reduce(float value, float* scratch, Op op) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) value = op(value, __shfl_xor_sync(0xffffffffu, value, offset));
  __syncthreads();  // scratch may still be read by the previous reduction
  if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = value;
  __syncthreads();
  float result = scratch[0];
#pragma unroll
  for (int w = 1; w < kThreads / 32; ++w) result = op(result, scratch[w]);
  return result;
}

__global__ void __launch_bounds__(kThreads) attention_kernel(AttentionLaunch a) {
  const int row = blockIdx.x, head = blockIdx.y, tid = threadIdx.x;
  int seq = 0;
  while (a.query_start[seq + 1] <= row) ++seq;
  const int last = a.positions[row];
  const int32_t* table = a.block_tables + static_cast<int64_t>(seq) * a.max_blocks_per_seq;
  const int64_t row_elems = static_cast<int64_t>(a.kv_heads) * a.head_dim;
  const int64_t kv_offset = static_cast<int64_t>(head / (a.query_heads / a.kv_heads)) * a.head_dim;
  const float scale = rsqrtf(static_cast<float>(a.head_dim));

  __shared__ float query[kMaxHeadDim];
  __shared__ float weight[kThreads];        // this tile's exp(score - max)
  __shared__ int64_t element[kThreads];     // first element of each position's K/V row for this head
  __shared__ float scratch[kThreads / 32];
  const float* q = a.q + (static_cast<int64_t>(row) * a.query_heads + head) * a.head_dim;
  for (int d = tid; d < a.head_dim; d += kThreads) query[d] = q[d];
  __syncthreads();

  const auto max_op = [](float x, float y) { return fmaxf(x, y); };
  const auto sum_op = [](float x, float y) { return x + y; };
  float running_max = -INFINITY, running_sum = 0.0f;
  float acc[kDimsPerThread] = {};
  for (int base = 0; base <= last; base += kThreads) {
    const int position = base + tid;
    float score = -INFINITY;
    if (position <= last) {
      const int64_t slot = static_cast<int64_t>(table[position / a.block_size]) * a.block_size + position % a.block_size;
      const int64_t first = slot * row_elems + kv_offset;
      element[tid] = first;
      float dot = 0.0f;
      for (int d = 0; d < a.head_dim; ++d) dot = fmaf(query[d], load_kv(a.keys, first + d, a.kv_type), dot);
      score = dot * scale;
    }
    const float new_max = fmaxf(running_max, block_reduce(score, scratch, max_op));
    const float e = position <= last ? expf(score - new_max) : 0.0f;
    weight[tid] = e;
    const float correction = expf(running_max - new_max);  // 0 on the first tile
    running_sum = running_sum * correction + block_reduce(e, scratch, sum_op);
    __syncthreads();  // weight[] and element[] of the whole tile are visible
    const int n = min(kThreads, last - base + 1);
#pragma unroll
    for (int i = 0; i < kDimsPerThread; ++i) {
      const int d = tid + i * kThreads;
      if (d >= a.head_dim) break;
      float sum = acc[i] * correction;
      for (int j = 0; j < n; ++j) sum = fmaf(weight[j], load_kv(a.values, element[j] + d, a.kv_type), sum);
      acc[i] = sum;
    }
    running_max = new_max;
    __syncthreads();  // the next tile overwrites weight[] and element[]
  }
  float* out = a.out + (static_cast<int64_t>(row) * a.query_heads + head) * a.head_dim;
#pragma unroll
  for (int i = 0; i < kDimsPerThread; ++i) {
    const int d = tid + i * kThreads;
    if (d < a.head_dim) out[d] = acc[i] / running_sum;
  }
}

}  // namespace

void attention(const AttentionLaunch& launch, cudaStream_t stream) {
  if (launch.n_tokens == 0) return;
  const dim3 grid(static_cast<unsigned>(launch.n_tokens), static_cast<unsigned>(launch.query_heads));
  attention_kernel<<<grid, kThreads, 0, stream>>>(launch);
}

}  // namespace keel::cuda
