// The GPU's measured ceilings, for benchmarks to put their figures next to.
// Plain C++ interface: callers need no CUDA header.
#pragma once

#include <string>

namespace keel {

struct CudaDeviceCeilings {
  std::string name;              // "NVIDIA H200"
  double memory_gib = 0;         // total device memory
  double copy_gbps = 0;          // device-to-device copy, bytes read + written per second / 1e9
  double bf16_tflops = 0;        // bf16 tensor-core GEMM (float32 sums), 1e12 flops per second
};

// Measures a large device-to-device copy and a large bf16 GEMM (medians of
// repeats) on GPU 0.
// Zero figures when no GPU is present.
CudaDeviceCeilings measure_cuda_ceilings();

}  // namespace keel
