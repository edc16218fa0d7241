// measure_cuda_ceilings: the read+write bandwidth of a 2 GiB device copy,
// timed with events, median of 20 after warm-up.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "backend/cuda/device_ceilings.h"

namespace keel {

CudaDeviceCeilings measure_cuda_ceilings() {
  CudaDeviceCeilings ceilings;
  cudaDeviceProp props{};
  if (cudaGetDeviceProperties(&props, 0) != cudaSuccess) {
    cudaGetLastError();
    return ceilings;
  }
  ceilings.name = props.name;
  ceilings.memory_gib = static_cast<double>(props.totalGlobalMem) / (1u << 30);
  const size_t bytes = size_t{1} << 31;
  void *a = nullptr, *b = nullptr;
  if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) {
    cudaGetLastError();
    cudaFree(a);
    return ceilings;
  }
  cudaMemset(a, 1, bytes);
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  std::vector<float> ms;
  for (int i = 0; i < 23; ++i) {
    cudaEventRecord(start);
    cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float elapsed = 0;
    cudaEventElapsedTime(&elapsed, start, stop);
    if (i >= 3) ms.push_back(elapsed);
  }
  std::sort(ms.begin(), ms.end());
  ceilings.copy_gbps = 2.0 * static_cast<double>(bytes) / (ms[ms.size() / 2] * 1e-3) / 1e9;
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(a);
  cudaFree(b);
  return ceilings;
}

}  // namespace keel
