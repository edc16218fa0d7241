// The element-wise ops: embedding lookup, bias, SwiGLU, residual add, the
// gather of logit rows and the sum of a stacked GEMM's two halves. One thread per element (per chunk for the
// embedding, which decodes the table's stored dtype in registers).
#include "backend/cuda/kernels.h"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

constexpr int kBlock = 256;

unsigned blocks_for(int64_t threads) { return static_cast<unsigned>((threads + kBlock - 1) / kBlock); }

template <DType kType>
__global__ void embed_kernel(const uint8_t* __restrict__ table, int64_t row_bytes, int64_t dim,
                             const int32_t* __restrict__ tokens, int64_t n_tokens, float* __restrict__ out) {
  const int64_t chunks = chunks_per_row(dim);
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n_tokens * chunks) return;
  const int64_t t = index / chunks, c = index % chunks;
  float v[kChunk];
  const int n = decode_chunk<kType>(table + static_cast<int64_t>(tokens[t]) * row_bytes, c, dim, v);
  for (int k = 0; k < n; ++k) out[t * dim + c * kChunk + k] = v[k];
}

__global__ void add_bias_kernel(float* y, const float* __restrict__ bias, int64_t n_tokens, int64_t out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n_tokens * out) y[i] += bias[i % out];
}

__global__ void swiglu_kernel(float* gate, const float* __restrict__ up, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float z = gate[i];
  gate[i] = z / (1.0f + expf(-z)) * up[i];
}

__global__ void add_kernel(float* dst, const float* __restrict__ src, int64_t n) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) dst[i] += src[i];
}

__global__ void gather_rows_kernel(const float* __restrict__ src, int64_t width, const int32_t* __restrict__ rows,
                                   int64_t n_rows, float* __restrict__ dst) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_rows * width) return;
  const int64_t r = i / width, j = i % width;
  dst[i] = src[static_cast<int64_t>(rows[r]) * width + j];
}

// y[t, j] = stacked[t, j] + stacked[n_tokens + t, j], stacked being the
// column-major [rows, 2 * n_tokens] product of a weight panel with
// [x_hi; x_lo]; y: row-major with ld_y floats a row.
__global__ void sum_stacked_halves_kernel(const float* __restrict__ stacked, int64_t n_tokens, int64_t rows,
                                          float* __restrict__ y, int64_t ld_y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_tokens * rows) return;
  const int64_t t = i / rows, j = i % rows;
  y[t * ld_y + j] = stacked[i] + stacked[n_tokens * rows + i];
}

}  // namespace

void sum_stacked_halves(const float* stacked, int64_t n_tokens, int64_t rows, float* y, int64_t ld_y,
                        cudaStream_t stream) {
  sum_stacked_halves_kernel<<<blocks_for(n_tokens * rows), kBlock, 0, stream>>>(stacked, n_tokens, rows, y, ld_y);
}

void embed(DType type, const void* table, int64_t row_bytes, int64_t dim, const int32_t* tokens, int64_t n_tokens,
           float* out, cudaStream_t stream) {
  const int64_t threads = n_tokens * chunks_per_row(dim);
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    embed_kernel<kType><<<blocks_for(threads), kBlock, 0, stream>>>(static_cast<const uint8_t*>(table), row_bytes,
                                                                     dim, tokens, n_tokens, out);
  });
}

void add_bias(float* y, const float* bias, int64_t n_tokens, int64_t out, cudaStream_t stream) {
  add_bias_kernel<<<blocks_for(n_tokens * out), kBlock, 0, stream>>>(y, bias, n_tokens, out);
}

void swiglu(float* gate, const float* up, int64_t n, cudaStream_t stream) {
  swiglu_kernel<<<blocks_for(n), kBlock, 0, stream>>>(gate, up, n);
}

void add(float* dst, const float* src, int64_t n, cudaStream_t stream) {
  add_kernel<<<blocks_for(n), kBlock, 0, stream>>>(dst, src, n);
}

void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst,
                 cudaStream_t stream) {
  gather_rows_kernel<<<blocks_for(n_rows * width), kBlock, 0, stream>>>(src, width, rows, n_rows, dst);
}

}  // namespace keel::cuda
