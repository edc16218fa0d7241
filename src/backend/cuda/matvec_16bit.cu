// matvec_16bit: the weight-streaming matmul for f16 / bf16 weights, read
// straight from device memory into registers.
//
// The generic matvec (matvec.cu) stages every span of weight bytes through
// shared memory and decodes it with byte loads; for 16-bit weights that
// makes the L1/shared pipe, not DRAM, the limit (docs/performance.md). A
// 16-bit element needs no decoding beyond a conversion, so here:
//  - one warp owns one output row; lane l reads 8 elements (16 bytes) at a
//    time, lanes side by side, so a warp's load is 512 contiguous bytes;
//  - each lane issues kLoadsInFlight such loads before it uses any of them,
//    which keeps enough bytes in flight per multiprocessor to cover latency;
//  - the activations x (f32) come through the read-only cache as float4.
// The weight is read once for the whole batch (n_tokens <= kMatvecMaxTokens).
//
// A token's sum does not depend on how many tokens share the launch: each
// lane adds its elements for token t in the same order whatever n_tokens
// is, and the lanes are reduced by the same shuffle tree.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/kernels.h"
#include "backend/cuda/warp_per_row.cuh"

namespace keel::cuda {
namespace {

constexpr int kElemsPerLoad = 8;   // 16 bytes of 16-bit elements
constexpr int kLoadsInFlight = 4;  // per lane, before the first is used
constexpr int64_t kWarpStride = 32 * kElemsPerLoad;

// The 8 elements of one 16-byte load, as float.
template <bool kBf16>
__device__ inline void widen(const uint4& word, float v[kElemsPerLoad]) {
  const uint32_t parts[4] = {word.x, word.y, word.z, word.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    if (kBf16) {
      v[2 * i] = __uint_as_float(parts[i] << 16);
      v[2 * i + 1] = __uint_as_float(parts[i] & 0xffff0000u);
    } else {
      v[2 * i] = __half2float(__ushort_as_half(static_cast<unsigned short>(parts[i] & 0xffffu)));
      v[2 * i + 1] = __half2float(__ushort_as_half(static_cast<unsigned short>(parts[i] >> 16)));
    }
  }
}

template <bool kBf16, int kTokens>
__global__ void __launch_bounds__(32 * kWarpRowsPerBlock)
    matvec_16bit_kernel(const float* __restrict__ x, int n_tokens, int64_t in, const uint8_t* __restrict__ w,
                        int64_t row_bytes, int64_t out, const float* __restrict__ bias, float* __restrict__ y) {
  const int lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpRowsPerBlock + threadIdx.x / 32;
  if (row >= out) return;  // a whole warp leaves together
  const auto* weights = reinterpret_cast<const uint4*>(w + row * row_bytes);  // [in / 8] words of 8 elements
  float sum[kTokens] = {};
  for (int64_t first = lane * kElemsPerLoad; first < in; first += kLoadsInFlight * kWarpStride) {
    uint4 words[kLoadsInFlight];
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u)
      if (first + u * kWarpStride < in) words[u] = __ldg(weights + (first + u * kWarpStride) / kElemsPerLoad);
#pragma unroll
    for (int u = 0; u < kLoadsInFlight; ++u) {
      const int64_t k = first + u * kWarpStride;
      if (k >= in) break;
      float v[kElemsPerLoad];
      widen<kBf16>(words[u], v);
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n_tokens) break;
        const float4 lo = __ldg(reinterpret_cast<const float4*>(x + t * in + k));
        const float4 hi = __ldg(reinterpret_cast<const float4*>(x + t * in + k + 4));
        float s = sum[t];
        s = fmaf(v[0], lo.x, s);
        s = fmaf(v[1], lo.y, s);
        s = fmaf(v[2], lo.z, s);
        s = fmaf(v[3], lo.w, s);
        s = fmaf(v[4], hi.x, s);
        s = fmaf(v[5], hi.y, s);
        s = fmaf(v[6], hi.z, s);
        s = fmaf(v[7], hi.w, s);
        sum[t] = s;
      }
    }
  }
  store_row_totals(sum, n_tokens, lane, row, out, bias, y);
}

template <bool kBf16>
void launch(const float* x, int n_tokens, int64_t in, const uint8_t* w, int64_t row_bytes, int64_t out,
            const float* bias, float* y, cudaStream_t stream) {
  with_token_capacity(n_tokens, [&](auto tokens) {
    matvec_16bit_kernel<kBf16, decltype(tokens)::value><<<warp_per_row_grid(out), warp_per_row_block(), 0, stream>>>(
        x, n_tokens, in, w, row_bytes, out, bias, y);
  });
}

}  // namespace

bool matvec_16bit(DType type, const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                  int64_t out, const float* bias, float* y, cudaStream_t stream) {
  if (type != DType::F16 && type != DType::BF16) return false;
  // 16-byte loads of weights and activations need every row and x to start aligned.
  const bool aligned = in % kElemsPerLoad == 0 && row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(w) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(x) % 16 == 0;
  if (!aligned) return false;
  const auto* bytes = static_cast<const uint8_t*>(w);
  if (type == DType::BF16) {
    launch<true>(x, n_tokens, in, bytes, row_bytes, out, bias, y, stream);
  } else {
    launch<false>(x, n_tokens, in, bytes, row_bytes, out, bias, y, stream);
  }
  return true;
}

}  // namespace keel::cuda
