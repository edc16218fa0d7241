// kv_store: each new row's K and V written into its KV slot, converted to
// the storage's dtype. One thread per element of a row.
#include "backend/cuda/kernels.h"
#include "backend/cuda/kv_value.cuh"

namespace keel::cuda {
namespace {

constexpr int kBlock = 256;

__global__ void kv_store_kernel(const float* __restrict__ keys, const float* __restrict__ values, int64_t n_tokens,
                                int64_t row_elems, const int32_t* __restrict__ slot_mapping, DType kv_type,
                                void* kv_keys, void* kv_values) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n_tokens * row_elems) return;
  const int64_t t = index / row_elems, e = index % row_elems;
  const int64_t slot_index = static_cast<int64_t>(slot_mapping[t]) * row_elems + e;
  store_kv(kv_keys, slot_index, kv_type, keys[index]);
  store_kv(kv_values, slot_index, kv_type, values[index]);
}

}  // namespace

void kv_store(const float* keys, const float* values, int64_t n_tokens, int64_t row_elems,
              const int32_t* slot_mapping, DType kv_type, void* kv_keys, void* kv_values, cudaStream_t stream) {
  const int64_t threads = n_tokens * row_elems;
  if (threads == 0) return;
  kv_store_kernel<<<static_cast<unsigned>((threads + kBlock - 1) / kBlock), kBlock, 0, stream>>>(
      keys, values, n_tokens, row_elems, slot_mapping, kv_type, kv_keys, kv_values);
}

}  // namespace keel::cuda
