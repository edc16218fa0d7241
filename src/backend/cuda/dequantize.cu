// dequantize_rows: a panel of weight rows decoded to float32 (the exact
// path) or bf16 (the fast path's tensor-core GEMM) in device scratch, for
// the cuBLAS path of large batches (prefill). One thread per chunk of 32
// elements; the panel is a bounded slice of scratch reused row group by row
// group, never a float copy of a whole matrix. Also the float32 -> bf16
// conversion of the fast path's GEMM input.
#include <cuda_bf16.h>

#include "backend/cuda/kernels.h"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

__device__ inline void store(float* dst, float v) { *dst = v; }
__device__ inline void store(uint16_t* dst, float v) { *dst = __bfloat16_as_ushort(__float2bfloat16_rn(v)); }

template <DType kType, class Out>
__global__ void dequantize_kernel(const uint8_t* __restrict__ w, int64_t row_bytes, int64_t in, int64_t first_row,
                                  int64_t n_rows, Out* __restrict__ panel) {
  const int64_t chunks = chunks_per_row(in);
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n_rows * chunks) return;
  const int64_t r = index / chunks, c = index % chunks;
  float v[kChunk];
  const int n = decode_chunk<kType>(w + (first_row + r) * row_bytes, c, in, v);
  Out* dst = panel + r * in + c * kChunk;
  for (int k = 0; k < n; ++k) store(dst + k, v[k]);
}

template <class Out>
void launch_dequantize(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                       Out* panel, cudaStream_t stream) {
  const int64_t threads = n_rows * chunks_per_row(in);
  constexpr int kBlock = 256;
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    dequantize_kernel<kType, Out><<<static_cast<unsigned>((threads + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
        static_cast<const uint8_t*>(w), row_bytes, in, first_row, n_rows, panel);
  });
}

__global__ void to_bf16_kernel(const float* __restrict__ x, int64_t n, uint16_t* __restrict__ out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) store(out + i, x[i]);
}

}  // namespace

void dequantize_rows(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                     float* panel, cudaStream_t stream) {
  launch_dequantize(type, w, row_bytes, in, first_row, n_rows, panel, stream);
}

void dequantize_rows_bf16(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row,
                          int64_t n_rows, uint16_t* panel, cudaStream_t stream) {
  launch_dequantize(type, w, row_bytes, in, first_row, n_rows, panel, stream);
}

void to_bf16(const float* x, int64_t n, uint16_t* out, cudaStream_t stream) {
  constexpr int kBlock = 256;
  to_bf16_kernel<<<static_cast<unsigned>((n + kBlock - 1) / kBlock), kBlock, 0, stream>>>(x, n, out);
}

}  // namespace keel::cuda
