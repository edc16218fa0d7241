// dequantize_rows: a panel of weight rows decoded to float32 in device
// scratch, for the cuBLAS path of large batches (prefill). One thread per
// chunk of 32 elements; the panel is a bounded slice of scratch reused row
// group by row group, never a float copy of a whole matrix.
#include "backend/cuda/kernels.h"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

template <DType kType>
__global__ void dequantize_kernel(const uint8_t* __restrict__ w, int64_t row_bytes, int64_t in, int64_t first_row,
                                  int64_t n_rows, float* __restrict__ panel) {
  const int64_t chunks = chunks_per_row(in);
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n_rows * chunks) return;
  const int64_t r = index / chunks, c = index % chunks;
  float v[kChunk];
  const int n = decode_chunk<kType>(w + (first_row + r) * row_bytes, c, in, v);
  float* dst = panel + r * in + c * kChunk;
  for (int k = 0; k < n; ++k) dst[k] = v[k];
}

}  // namespace

void dequantize_rows(DType type, const void* w, int64_t row_bytes, int64_t in, int64_t first_row, int64_t n_rows,
                     float* panel, cudaStream_t stream) {
  const int64_t threads = n_rows * chunks_per_row(in);
  constexpr int kBlock = 256;
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    dequantize_kernel<kType><<<static_cast<unsigned>((threads + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
        static_cast<const uint8_t*>(w), row_bytes, in, first_row, n_rows, panel);
  });
}

}  // namespace keel::cuda
