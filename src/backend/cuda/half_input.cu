// The fast GEMM's input for block-quantized weights: x rounded to f16, with
// one power-of-two scale for the whole input so that no element overflows
// f16 (its largest finite value is 65504; activations feeding a down
// projection can reach thousands). Scaling by a power of two changes no
// significant bit, so each element keeps f16's 11 bits; the GEMM multiplies
// its float32 sums back by 1 / scale (alpha, read from device memory), so
// the host never waits for the input's size.
//
//   1. largest_magnitude: max |x| over the input, as the bits of a
//      non-negative float (their integer order is the floats' order), by
//      atomicMax into `scale->largest_bits`, which the caller zeroed.
//   2. to_half_scaled: scale = 2^(14 - e) where max |x| = m · 2^e, m in
//      [0.5, 1) and e > 14, else 1; x · scale to f16; alpha = 1 / scale.
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>

#include "backend/cuda/kernels.h"
#include "backend/cuda/warp_reduce.cuh"

namespace keel::cuda {
namespace {

constexpr int kThreads = 256;
// Below 2^15, so that rounding up to the next f16 stays finite.
constexpr int kLargestExponent = 14;

__global__ void __launch_bounds__(kThreads) largest_magnitude_kernel(const float* __restrict__ x, int64_t n,
                                                                     HalfInputScale* scale) {
  float largest = 0.0f;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads)
    largest = fmaxf(largest, fabsf(x[i]));  // fmaxf drops a NaN: a NaN input stays NaN through the GEMM
  largest = warp_max(largest);
  if (threadIdx.x % 32 == 0) atomicMax(&scale->largest_bits, __float_as_uint(largest));
}

__global__ void __launch_bounds__(kThreads) to_half_scaled_kernel(const float* __restrict__ x, int64_t n,
                                                                  uint16_t* __restrict__ out, HalfInputScale* scale) {
  int exponent = 0;
  frexpf(__uint_as_float(scale->largest_bits), &exponent);
  const float factor = exponent > kLargestExponent ? ldexpf(1.0f, kLargestExponent - exponent) : 1.0f;
  if (blockIdx.x == 0 && threadIdx.x == 0) scale->alpha = 1.0f / factor;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads)
    out[i] = __half_as_ushort(__float2half_rn(x[i] * factor));
}

}  // namespace

void to_half_scaled(const float* x, int64_t n, uint16_t* out, HalfInputScale* scale, cudaStream_t stream) {
  if (n == 0) return;
  // Enough blocks to fill a large GPU several times over; each strides on.
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 4096));
  cudaMemsetAsync(&scale->largest_bits, 0, sizeof(scale->largest_bits), stream);
  largest_magnitude_kernel<<<blocks, kThreads, 0, stream>>>(x, n, scale);
  to_half_scaled_kernel<<<blocks, kThreads, 0, stream>>>(x, n, out, scale);
}

}  // namespace keel::cuda
