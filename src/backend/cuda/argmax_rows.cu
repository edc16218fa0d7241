// argmax_rows: a block of 1024 threads per logits row. Each thread scans a
// stride of the row keeping its largest value and that value's first index,
// once over every id and once over the ids not excluded; the block then
// reduces the pairs (a larger value wins, an equal one the smaller index),
// so the answers are the row's first maxima whatever the thread count, as
// the host's argmax gives them.
#include <climits>
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

__device__ inline bool is_excluded(const ExcludedIds& excluded, int64_t id) {
  for (int k = 0; k < excluded.count; ++k)
    if (excluded.ids[k] == id) return true;
  return false;
}

__global__ void argmax_rows_kernel(const float* __restrict__ logits, int64_t vocab, const ExcludedIds excluded,
                                   RowArgmax* __restrict__ out) {
  const float* row = logits + static_cast<int64_t>(blockIdx.x) * vocab;
  // Every thread starts from element 0, so a row of NaN (or a thread with
  // no element) still names a valid index. The allowed best starts below
  // every value, at no index, so that the first allowed id displaces it.
  Best all{row[0], 0};
  Best allowed{-INFINITY, INT_MAX};
  int finite = 1;
  for (int64_t i = threadIdx.x; i < vocab; i += kThreads) {
    const float v = row[i];
    const Best here{v, static_cast<int32_t>(i)};
    finite &= isfinite(v) ? 1 : 0;
    if (v > all.value) all = here;  // i rises: the first maximum of this stride stays
    if (better(here, allowed) && !is_excluded(excluded, i)) allowed = here;
  }
  all = warp_best(all);
  allowed = warp_best(allowed);
  finite = __all_sync(0xffffffffu, finite);
  __shared__ Best warp_all[kWarps], warp_allowed[kWarps];
  __shared__ int warp_finite[kWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    warp_all[warp] = all;
    warp_allowed[warp] = allowed;
    warp_finite[warp] = finite;
  }
  __syncthreads();
  if (warp != 0) return;
  // kWarps == 32: one warp's results per lane.
  all = warp_best(warp_all[lane]);
  allowed = warp_best(warp_allowed[lane]);
  finite = __all_sync(0xffffffffu, warp_finite[lane]);
  if (lane == 0) out[blockIdx.x] = RowArgmax{all.index, allowed.index, finite};
}

static_assert(kWarps == 32, "the last reduction gives each lane one warp's result");

}  // namespace

void argmax_rows(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded, RowArgmax* out,
                 cudaStream_t stream) {
  if (rows <= 0 || vocab <= 0) return;
  argmax_rows_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(logits, vocab, excluded, out);
}

}  // namespace keel::cuda
