// dequantize_rows: a panel of weight rows decoded to float32 (the exact
// path), split into two bf16 panels (the fast path's tensor-core GEMM on
// 16-bit weights' rows) or rounded to f16 (its GEMM on block-quantized
// weights) in device scratch, for the cuBLAS path of large batches (prefill). One thread
// per chunk of 32 elements; the panel is a bounded slice of scratch reused
// row group by row group, never a float copy of a whole matrix. Also the
// same split of the fast path's GEMM input.
//
// The split: v = hi + lo + r with hi = bf16(v), lo = bf16(v - hi), both
// rounded to nearest even, so |r| <= |v| * 2^-17. A product w·x taken as
// hi_w·hi_x + hi_w·lo_x + lo_w·hi_x (three bf16 GEMMs with float32 sums)
// drops only lo_w·lo_x and the two r terms: about 2^-15 of |w·x|, close to
// float32 — where one bf16 GEMM (2^-8 per operand) missed the fast path's
// quality bar on the golden fixtures.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backend/cuda/kernels.h"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

__device__ inline void store(SplitBf16 dst, int64_t i, float v) {
  const __nv_bfloat16 hi = __float2bfloat16_rn(v);
  dst.hi[i] = __bfloat16_as_ushort(hi);
  dst.lo[i] = __bfloat16_as_ushort(__float2bfloat16_rn(v - __bfloat162float(hi)));
}
__device__ inline void store(float* dst, int64_t i, float v) { dst[i] = v; }
// An f16 panel: the values rounded to nearest even.
struct HalfPanel {
  uint16_t* data;
};
__device__ inline void store(HalfPanel dst, int64_t i, float v) { dst.data[i] = __half_as_ushort(__float2half_rn(v)); }

// A warp takes 32 consecutive chunks of one row (a span of 1,024 elements):
// each lane decodes one chunk into registers, the warp turns the 32 × 32
// values around through shared memory, and then lane l writes element l of
// each chunk, so every store of the warp is 32 consecutive elements. (One
// thread writing its own chunk's 32 elements made each store touch 32
// different segments: the panel's writes, 2-4 bytes per element against
// ~1 read, are most of this kernel's traffic.)
constexpr int kWarpsPerBlock = 8;

template <DType kType, class Out>
__global__ void __launch_bounds__(32 * kWarpsPerBlock)
    dequantize_kernel(const uint8_t* __restrict__ w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                      Out panel) {
  __shared__ float stage[kWarpsPerBlock][kChunk][kChunk + 1];  // [chunk][element], padded: no bank conflicts
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t chunks = chunks_per_row(in);
  const int64_t spans_per_row = (chunks + 31) / 32;
  const int64_t job = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (job >= n_rows * spans_per_row) return;  // a whole warp leaves together
  const int64_t r = job / spans_per_row, first_chunk = job % spans_per_row * 32;
  if (first_chunk + lane < chunks) {
    float v[kChunk];
    decode_chunk<kType>(w + (first_row + r) * row_bytes, first_chunk + lane, in, v);
#pragma unroll
    for (int k = 0; k < kChunk; ++k) stage[warp][lane][k] = v[k];
  }
  __syncwarp();
  const int64_t span_first = first_chunk * kChunk;
  const int64_t span_elems = in - span_first < 32 * kChunk ? in - span_first : 32 * kChunk;
  for (int j = 0; j < 32; ++j) {
    const int64_t e = j * kChunk + lane;  // element e of the span: element `lane` of its chunk j
    if (e < span_elems) store(panel, r * in + span_first + e, stage[warp][j][lane]);
  }
}

template <class Out>
void launch_dequantize(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                       Out panel, cudaStream_t stream) {
  const int64_t jobs = n_rows * ((chunks_per_row(in) + 31) / 32);
  const auto blocks = static_cast<unsigned>((jobs + kWarpsPerBlock - 1) / kWarpsPerBlock);
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    dequantize_kernel<kType, Out><<<blocks, 32 * kWarpsPerBlock, 0, stream>>>(static_cast<const uint8_t*>(w),
                                                                              row_bytes, in, first_row, n_rows, panel);
  });
}

__global__ void split_kernel(const float* __restrict__ x, int64_t n, SplitBf16 out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) store(out, i, x[i]);
}

}  // namespace

void dequantize_rows(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                     float* panel, cudaStream_t stream) {
  launch_dequantize(type, w, row_bytes, in, first_row, n_rows, panel, stream);
}

void dequantize_rows_split(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row,
                           int64_t n_rows, SplitBf16 panel, cudaStream_t stream) {
  launch_dequantize(type, w, row_bytes, in, first_row, n_rows, panel, stream);
}

void dequantize_rows_f16(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row,
                         int64_t n_rows, uint16_t* panel, cudaStream_t stream) {
  launch_dequantize(type, w, row_bytes, in, first_row, n_rows, HalfPanel{panel}, stream);
}

void split_bf16(const float* x, int64_t n, SplitBf16 out, cudaStream_t stream) {
  constexpr int kBlock = 256;
  split_kernel<<<static_cast<unsigned>((n + kBlock - 1) / kBlock), kBlock, 0, stream>>>(x, n, out);
}

}  // namespace keel::cuda
