// matvec: the weight-streaming matmul for small batches (decode).
//
// One block of kWarpsPerBlock warps per output row; the warps take turns
// over the row's spans of 32 chunks (1,024 elements: whole blocks of every
// type). For each span a warp:
//  1. it copies the span's bytes into its slice of shared memory with
//     coalesced loads, 16 bytes a lane where the row's alignment allows —
//     one contiguous read of the weight, the only thing decode must read —
//     and issues the loads of its next span before decoding this one;
//  2. lane l decodes chunk l of the span in registers (weight_chunk.cuh)
//     and dots it with the same 32 columns of every token row.
// The weight is read from device memory once for the whole batch
// (n_tokens <= kMatvecMaxTokens) and never written out as float.
//
// A token's sum does not depend on how many tokens share the launch: each
// token has its own accumulators, filled in the same chunk order and
// reduced by the same shuffle tree and the same sum over warps, so
// batching changes no result.
#include <cstdint>

#include "backend/cuda/kernels.h"
#include "backend/cuda/span_loader.cuh"
#include "backend/cuda/warp_reduce.cuh"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int64_t kSpanElems = 32 * kChunk;

// sum += v · x[0 .. n): four floats a load where x is 16-byte aligned.
__device__ inline float chunk_dot(const float v[kChunk], const float* __restrict__ x, int n, bool x_aligned) {
  float partial = 0.0f;
  if (n == kChunk && x_aligned) {
#pragma unroll
    for (int k = 0; k < kChunk; k += 4) {
      const float4 xs = *reinterpret_cast<const float4*>(x + k);
      partial = fmaf(v[k], xs.x, partial);
      partial = fmaf(v[k + 1], xs.y, partial);
      partial = fmaf(v[k + 2], xs.z, partial);
      partial = fmaf(v[k + 3], xs.w, partial);
    }
  } else {
#pragma unroll
    for (int k = 0; k < kChunk; ++k)
      if (k < n) partial = fmaf(v[k], x[k], partial);
  }
  return partial;
}

// One-token decode asks for 8 blocks (32 warps) per multiprocessor, so
// that enough loads are in flight to cover memory latency; more tokens
// need more registers for their sums.
template <DType kType, int kTokens, int kVec>
__global__ void __launch_bounds__(32 * kWarpsPerBlock, kTokens == 1 ? 8 : 4)
    matvec_kernel(const float* __restrict__ x, int n_tokens, int64_t in, const uint8_t* __restrict__ w,
                  int64_t row_bytes, int64_t out, const float* __restrict__ bias, float* __restrict__ y) {
  // A split Q8_0 or Q6_K row (split_row_layout.h) is no run of whole
  // blocks to stage: its chunks are decoded straight from device memory.
  constexpr bool kStaged = kType != DType::Q8_0 && kType != DType::Q6_K;
  constexpr int kSpanBytes = static_cast<int>(row_span_bytes(kType, kSpanElems));
  __shared__ __align__(16) uint8_t stage[kWarpsPerBlock][kStaged ? kSpanBytes : 16];
  __shared__ float warp_totals[kTokens][kWarpsPerBlock];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int64_t row = blockIdx.x;
  const uint8_t* weights = w + row * row_bytes;
  const bool x_aligned = in % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  constexpr int64_t kStride = kWarpsPerBlock * kSpanElems;
  auto span_bytes = [&](int64_t first) {
    return static_cast<int>(row_span_bytes(kType, in - first < kSpanElems ? in - first : kSpanElems));
  };
  SpanLoader<kVec, kSpanBytes> loader;
  if (kStaged && warp * kSpanElems < in)
    loader.load(weights + row_span_bytes(kType, warp * kSpanElems), span_bytes(warp * kSpanElems), lane);
  float sum[kTokens] = {};
  for (int64_t first = warp * kSpanElems; first < in; first += kStride) {
    const int64_t elems = in - first < kSpanElems ? in - first : kSpanElems;
    if constexpr (kStaged) {
      loader.store(stage[warp], lane);
      __syncwarp();
      if (first + kStride < in)  // the next span's loads fly while this one is decoded
        loader.load(weights + row_span_bytes(kType, first + kStride), span_bytes(first + kStride), lane);
    }
    if (lane * kChunk < elems) {
      float v[kChunk];
      const int n = kStaged ? decode_chunk<kType>(stage[warp], lane, elems, v)
                            : decode_chunk<kType>(weights, first / kChunk + lane, in, v);
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n_tokens) break;
        sum[t] += chunk_dot(v, x + t * in + first + lane * kChunk, n, x_aligned);
      }
    }
    __syncwarp();  // the next span overwrites the stage
  }
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n_tokens) break;
    const float total = warp_sum(sum[t]);
    if (lane == 0) warp_totals[t][warp] = total;
  }
  __syncthreads();
  if (threadIdx.x < n_tokens) {  // a fixed order over the warps, whatever the batch
    const int t = threadIdx.x;
    float total = 0.0f;
#pragma unroll
    for (int i = 0; i < kWarpsPerBlock; ++i) total += warp_totals[t][i];
    y[t * out + row] = total + (bias != nullptr ? bias[row] : 0.0f);
  }
}

template <DType kType, int kVec>
void launch_tokens(const float* x, int n_tokens, int64_t in, const uint8_t* w, int64_t row_bytes, int64_t out,
                   const float* bias, float* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(out));  // a block per output row
  const dim3 block(32 * kWarpsPerBlock);
  // Fewer accumulators for fewer tokens: one-token decode keeps registers free.
  if (n_tokens == 1) {
    matvec_kernel<kType, 1, kVec><<<grid, block, 0, stream>>>(x, n_tokens, in, w, row_bytes, out, bias, y);
  } else if (n_tokens <= 4) {
    matvec_kernel<kType, 4, kVec><<<grid, block, 0, stream>>>(x, n_tokens, in, w, row_bytes, out, bias, y);
  } else {
    matvec_kernel<kType, kMatvecMaxTokens, kVec><<<grid, block, 0, stream>>>(x, n_tokens, in, w, row_bytes, out, bias, y);
  }
}

// The widest load every span start of every row is aligned to.
template <DType kType>
void launch_matvec(const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes, int64_t out,
                   const float* bias, float* y, cudaStream_t stream) {
  const auto* bytes = static_cast<const uint8_t*>(w);
  const auto base = reinterpret_cast<uintptr_t>(w);
  constexpr int64_t kSpanBytes = row_span_bytes(kType, kSpanElems);
  auto aligned = [&](int64_t v) { return base % v == 0 && row_bytes % v == 0 && kSpanBytes % v == 0; };
  if (aligned(16)) {
    launch_tokens<kType, 16>(x, n_tokens, in, bytes, row_bytes, out, bias, y, stream);
  } else if (aligned(4)) {
    launch_tokens<kType, 4>(x, n_tokens, in, bytes, row_bytes, out, bias, y, stream);
  } else {
    launch_tokens<kType, 1>(x, n_tokens, in, bytes, row_bytes, out, bias, y, stream);
  }
}

}  // namespace

void matvec(DType type, const float* x, int n_tokens, int64_t in, const void* w, int64_t row_bytes, int64_t out,
            const float* bias, float* y, cudaStream_t stream) {
  if (matvec_16bit(type, x, n_tokens, in, w, row_bytes, out, bias, y, stream)) return;
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    launch_matvec<kType>(x, n_tokens, in, w, row_bytes, out, bias, y, stream);
  });
}

}  // namespace keel::cuda
