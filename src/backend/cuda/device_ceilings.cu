// measure_cuda_ceilings: the read+write bandwidth of a 2 GiB device copy,
// timed with events, median of 20 after warm-up; and the bf16 tensor-core
// rate of a square cuBLAS GEMM (bf16 in, float32 sums and out, as the fast
// prefill GEMM), median of 10.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "backend/cuda/device_ceilings.h"

namespace keel {
namespace {

// Median milliseconds of `repeats` timed calls of `work` after `warmup`.
template <class Work>
float median_ms(int warmup, int repeats, Work work) {
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  std::vector<float> ms;
  for (int i = 0; i < warmup + repeats; ++i) {
    cudaEventRecord(start);
    work();
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float elapsed = 0;
    cudaEventElapsedTime(&elapsed, start, stop);
    if (i >= warmup) ms.push_back(elapsed);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// C[n, n] = A · B with A, B bf16 (zeros: the rate does not depend on the
// values) and C float32: 2 n^3 flops a call. 0 where it cannot run.
double bf16_gemm_tflops() {
  constexpr int n = 8192;
  void *a = nullptr, *b = nullptr, *c = nullptr;
  cublasHandle_t handle = nullptr;
  double tflops = 0;
  if (cudaMalloc(&a, size_t{n} * n * 2) == cudaSuccess && cudaMalloc(&b, size_t{n} * n * 2) == cudaSuccess &&
      cudaMalloc(&c, size_t{n} * n * 4) == cudaSuccess && cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS) {
    cudaMemset(a, 0, size_t{n} * n * 2);
    cudaMemset(b, 0, size_t{n} * n * 2);
    const float one = 1.0f, zero = 0.0f;
    bool ok = true;
    const float ms = median_ms(2, 10, [&] {
      ok = ok && cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, n, n, &one, a, CUDA_R_16BF, n, b, CUDA_R_16BF,
                              n, &zero, c, CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT) ==
                     CUBLAS_STATUS_SUCCESS;
    });
    if (ok) tflops = 2.0 * n * static_cast<double>(n) * n / (ms * 1e-3) / 1e12;
  }
  cudaGetLastError();
  if (handle != nullptr) cublasDestroy(handle);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return tflops;
}

}  // namespace

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
  const float ms = median_ms(3, 20, [&] { cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice); });
  ceilings.copy_gbps = 2.0 * static_cast<double>(bytes) / (ms * 1e-3) / 1e9;
  cudaFree(a);
  cudaFree(b);
  ceilings.bf16_tflops = bf16_gemm_tflops();
  return ceilings;
}

}  // namespace keel
