// argmax_rows: a block of 1024 threads per logits row. Each thread scans a
// stride of the row keeping its largest value and that value's first index;
// the block then reduces the pairs (a larger value wins, an equal one the
// smaller index), so the answer is the row's first maximum whatever the
// thread count, as the host's argmax gives it.
#include <cmath>

#include "backend/cuda/kernels.h"

namespace keel::cuda {
namespace {

constexpr int kThreads = 1024;
constexpr int kWarps = kThreads / 32;

struct Best {
  float value;
  int32_t index;
};

// Whether candidate b displaces a: larger, or equal and earlier. NaN never
// displaces (the row is then reported not finite anyway).
__device__ inline bool better(Best b, Best a) { return b.value > a.value || (b.value == a.value && b.index < a.index); }

__device__ inline Best warp_best(Best mine) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    const Best other{__shfl_xor_sync(0xffffffffu, mine.value, offset),
                     __shfl_xor_sync(0xffffffffu, mine.index, offset)};
    if (better(other, mine)) mine = other;
  }
  return mine;
}

__global__ void argmax_rows_kernel(const float* __restrict__ logits, int64_t vocab, RowArgmax* __restrict__ out) {
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  // Every thread starts from element 0, so a row of NaN (or a thread with
  // no element) still names a valid index.
  Best mine{row[0], 0};
  int finite = 1;
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = row[i];
    finite &= isfinite(v) ? 1 : 0;
    if (v > mine.value) mine = Best{v, static_cast<int32_t>(i)};  // i rises: the first maximum of this stride stays
  }
  mine = warp_best(mine);
  finite = __all_sync(0xffffffffu, finite);
  __shared__ Best warp_results[kWarps];
  __shared__ int warp_finite[kWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_results[warp] = mine;
    warp_finite[warp] = finite;
  }
  __syncthreads();
  if (warp != 0) return;
  mine = warp_results[lane];  // kWarps == 32: one per lane
  finite = __all_sync(0xffffffffu, warp_finite[lane]);
  mine = warp_best(mine);
  if (lane == 0) out[blockIdx.x] = RowArgmax{mine.index, finite};
}

static_assert(kWarps == 32, "the last reduction gives each lane one warp's result");

}  // namespace

void argmax_rows(const float* logits, int64_t rows, int64_t vocab, RowArgmax* out, cudaStream_t stream) {
  if (rows <= 0 || vocab <= 0) return;
  argmax_rows_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(logits, vocab, out);
}

}  // namespace keel::cuda
