// Reading and writing one element of the KV storage in its dtype
// (f32, f16 or bf16; conversions round to nearest even, as the CPU's).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/dtype.h"

namespace keel::cuda {

__device__ inline float load_kv(const void* base, int64_t index, DType type) {
  switch (type) {
    case DType::F16: return __half2float(static_cast<const __half*>(base)[index]);
    case DType::BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[index]);
    default: return static_cast<const float*>(base)[index];
  }
}

__device__ inline void store_kv(void* base, int64_t index, DType type, float value) {
  switch (type) {
    case DType::F16: static_cast<__half*>(base)[index] = __float2half_rn(value); break;
    case DType::BF16: static_cast<__nv_bfloat16*>(base)[index] = __float2bfloat16_rn(value); break;
    default: static_cast<float*>(base)[index] = value; break;
  }
}

}  // namespace keel::cuda
