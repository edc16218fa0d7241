// matvec_int: the fast path's weight-streaming matmul for block-quantized
// weights (decode), with integer dot products. Q8_0, stored split into
// values and scales on this backend, has its own kernel (matvec_q8_0.cu),
// and so has Q6_K (matvec_q6_k.cu); Q4_0, Q4_1, Q5_0, Q4_K and Q5_K come
// here.
//
// The input rows come quantized to int16 in blocks of 32 columns
// (quantize_activations.cu), and every weight type's 32-element chunk has
// integer values with one or two float factors (weight_chunk.cuh gives
// the formulas). So a chunk's contribution to y[t, o] is
//   s_t · (c_lo · Σ_{k<16} w_k q_tk  +  c_hi · Σ_{k≥16} w_k q_tk  +  c_min · Σ_k q_tk)
// where the two sums are exact int32 dot products (dp2a: two int16 × int8
// products a lane a cycle), c_lo = c_hi = the block scale (the two halves
// are kept apart as Q6_K's two 16-element scales once needed them), and
// c_min carries the per-block minimum of Q4_1 / Q4_K / Q5_K.
//
// The memory side is matvec.cu's, four rows at a time: one block of
// kWarpsPerBlock warps per kRowsPerBlock output rows, warps taking turns
// over spans of 32 chunks, each row's span copied into the warp's shared
// stage with coalesced loads (the next span's loads in flight). Lane l then
// unpacks chunk l of each row with 32-bit shared loads — the generic
// matvec's one-byte loads made the shared pipe its limit — into eight words
// of four signed bytes, and dots the four with one load of the chunk's
// activations. With one row a block, those int16 activations (3.6 times a
// Q4_K weight's bytes, read again for every row) kept the L1 74% busy while
// DRAM was 33% busy (ncu, the 8B shape's FFN matvec on an H100): four rows
// a block read them a quarter as often, and a Q4_K_M decode went from 184
// to 226 t/s (docs/performance.md). Each row's sums are the same
// operations in the same order as with one row a block, so the same bits.
//
// Batch invariance: each token's sums are filled in the same chunk order
// and reduced by the same shuffle tree and the same sum over warps whatever
// n_tokens is, and each token row is quantized on its own.
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/kernels.h"
#include "backend/cuda/span_loader.cuh"
#include "backend/cuda/warp_per_row.cuh"
#include "backend/cuda/warp_reduce.cuh"
#include "backend/cuda/weight_chunk.cuh"

namespace keel::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;
constexpr int kRowsPerBlock = 4;
constexpr int64_t kSpanElems = 32 * kChunk;

// A chunk as integers: w[j] holds elements 4j .. 4j+3 as signed bytes, and
// the float factors of the formula above.
struct ChunkIntegers {
  uint32_t w[8];
  float c_lo, c_hi, c_min;
};

// N consecutive 32-bit words of the stage starting at byte `byte`, which
// need only be even: two aligned words are funnel-shifted where it is not a
// multiple of 4. Reads one word past the last; the stage is padded for it.
template <int N>
__device__ inline void words_at(const uint8_t* stage, int byte, uint32_t out[N]) {
  const uint32_t* words = reinterpret_cast<const uint32_t*>(stage) + (byte >> 2);
  const int shift = (byte & 3) * 8;
  uint32_t current = words[0];
#pragma unroll
  for (int j = 0; j < N; ++j) {
    const uint32_t next = words[j + 1];
    out[j] = __funnelshift_r(current, next, shift);
    current = next;
  }
}

// The f16 at an even byte offset of the stage.
__device__ inline float half_at(const uint8_t* stage, int byte) {
  const uint32_t word = reinterpret_cast<const uint32_t*>(stage)[byte >> 2];
  return __half2float(__ushort_as_half(static_cast<unsigned short>(word >> ((byte & 2) * 8))));
}

// Bits 0..3 of h moved to bit 0 of bytes 0..3 (the four terms cannot carry
// into each other).
__device__ inline uint32_t spread_bits(uint32_t h) { return (h * 0x00204081u) & 0x01010101u; }

constexpr uint32_t kLowNibbles = 0x0F0F0F0Fu;

// Chunk c of a span staged at `stage` (every span starts on a block).
template <DType kType>
__device__ inline ChunkIntegers unpack_chunk(const uint8_t* stage, int c) {
  ChunkIntegers out;
  out.c_min = 0.0f;
  if constexpr (kType == DType::Q4_0 || kType == DType::Q4_1) {
    constexpr bool kMin = kType == DType::Q4_1;
    const int base = c * (kMin ? 20 : 18);
    out.c_lo = out.c_hi = half_at(stage, base);
    if (kMin) out.c_min = half_at(stage, base + 2);
    uint32_t q[4];
    words_at<4>(stage, base + (kMin ? 4 : 2), q);
    const uint32_t offset = kMin ? 0u : 0x08080808u;  // Q4_0 stores q + 8
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      out.w[j] = __vsub4(q[j] & kLowNibbles, offset);
      out.w[j + 4] = __vsub4((q[j] >> 4) & kLowNibbles, offset);
    }
  } else if constexpr (kType == DType::Q5_0) {
    const int base = 22 * c;
    out.c_lo = out.c_hi = half_at(stage, base);
    uint32_t r[5];  // r[0]: the 32 fifth bits; r[1..4]: the nibbles
    words_at<5>(stage, base + 2, r);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      out.w[j] = __vsub4((r[1 + j] & kLowNibbles) | (spread_bits((r[0] >> (4 * j)) & 0xF) << 4), 0x10101010u);
      out.w[j + 4] =
          __vsub4(((r[1 + j] >> 4) & kLowNibbles) | (spread_bits((r[0] >> (16 + 4 * j)) & 0xF) << 4), 0x10101010u);
    }
  } else if constexpr (kType == DType::Q4_K || kType == DType::Q5_K) {
    constexpr bool kFive = kType == DType::Q5_K;
    const int base = (c / 8) * (kFive ? 176 : 144), s = c % 8;
    const float d = half_at(stage, base), dmin = half_at(stage, base + 2);
    int scale, min;
    k_scale_min(stage + base + 4, s, &scale, &min);
    out.c_lo = out.c_hi = d * static_cast<float>(scale);
    out.c_min = -dmin * static_cast<float>(min);
    uint32_t q[8];
    words_at<8>(stage, base + (kFive ? 48 : 16) + 32 * (s / 2), q);
    const int shift = (s & 1) * 4;
#pragma unroll
    for (int j = 0; j < 8; ++j) out.w[j] = (q[j] >> shift) & kLowNibbles;
    if constexpr (kFive) {
      uint32_t h[8];
      words_at<8>(stage, base + 16, h);
#pragma unroll
      for (int j = 0; j < 8; ++j) out.w[j] |= ((h[j] >> s) & 0x01010101u) << 4;
    }
  }
  return out;
}

// One token's 32 int16 values under a chunk (64 bytes, 16-byte aligned),
// loaded once and dotted with the chunk of every row the warp holds.
struct ChunkActivations {
  int4 v[4];  // v[k]: elements 8k .. 8k+7
};

__device__ inline ChunkActivations load_chunk_activations(const int16_t* x) {
  const int4* xv = reinterpret_cast<const int4*>(x);
  ChunkActivations a;
#pragma unroll
  for (int k = 0; k < 4; ++k) a.v[k] = __ldg(xv + k);
  return a;
}

// Σ w·q over one chunk, as its two 16-element halves.
__device__ inline void chunk_int_dot(const ChunkIntegers& chunk, const ChunkActivations& x, int* lo, int* hi) {
  int sums[2] = {0, 0};
#pragma unroll
  for (int v = 0; v < 4; ++v) {
    const int4& a = x.v[v];  // elements 8v .. 8v+7: weight words 2v, 2v+1
    int& sum = sums[v / 2];
    sum = __dp2a_lo(a.x, static_cast<int>(chunk.w[2 * v]), sum);
    sum = __dp2a_hi(a.y, static_cast<int>(chunk.w[2 * v]), sum);
    sum = __dp2a_lo(a.z, static_cast<int>(chunk.w[2 * v + 1]), sum);
    sum = __dp2a_hi(a.w, static_cast<int>(chunk.w[2 * v + 1]), sum);
  }
  *lo = sums[0];
  *hi = sums[1];
}

// Four rows' chunks in registers take up to 128 registers a thread: four
// blocks an SM resident.
template <DType kType, int kTokens, int kVec>
__global__ void __launch_bounds__(32 * kWarpsPerBlock, 4)
    matvec_int_kernel(QuantizedInput x, int n_tokens, int64_t in, const uint8_t* __restrict__ w, int64_t row_bytes,
                      int64_t out, const float* __restrict__ bias, float* __restrict__ y) {
  constexpr int kSpanBytes = static_cast<int>(row_span_bytes(kType, kSpanElems));
  constexpr int kStageBytes = (kSpanBytes + 4 + 15) / 16 * 16;  // room for words_at's one extra word
  __shared__ __align__(16) uint8_t stage[kWarpsPerBlock][kRowsPerBlock][kStageBytes];
  __shared__ float warp_totals[kTokens][kRowsPerBlock][kWarpsPerBlock];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  // The block's rows: kRowsPerBlockPerBlock consecutive ones. A last block short of rows
  // reads its last row again in their place and stores nothing for them,
  // so that no lane branches on it.
  const int64_t first_row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock;
  const uint8_t* weights[kRowsPerBlock];
#pragma unroll
  for (int r = 0; r < kRowsPerBlock; ++r) weights[r] = w + (first_row + r < out ? first_row + r : out - 1) * row_bytes;
  const int64_t blocks_per_row = in / kQuantBlock;
  constexpr int64_t kStride = kWarpsPerBlock * kSpanElems;
  auto span_bytes = [&](int64_t first) {
    return static_cast<int>(row_span_bytes(kType, in - first < kSpanElems ? in - first : kSpanElems));
  };
  SpanLoader<kVec, kSpanBytes> loader[kRowsPerBlock];
  if (warp * kSpanElems < in) {
#pragma unroll
    for (int r = 0; r < kRowsPerBlock; ++r)
      loader[r].load(weights[r] + row_span_bytes(kType, warp * kSpanElems), span_bytes(warp * kSpanElems), lane);
  }
  float sum[kTokens][kRowsPerBlock] = {};
  for (int64_t first = warp * kSpanElems; first < in; first += kStride) {
    const int64_t elems = in - first < kSpanElems ? in - first : kSpanElems;
#pragma unroll
    for (int r = 0; r < kRowsPerBlock; ++r) loader[r].store(stage[warp][r], lane);
    __syncwarp();
    if (first + kStride < in) {  // the next span's loads fly while this one is unpacked
#pragma unroll
      for (int r = 0; r < kRowsPerBlock; ++r)
        loader[r].load(weights[r] + row_span_bytes(kType, first + kStride), span_bytes(first + kStride), lane);
    }
    if (lane * kChunk < elems) {
      ChunkIntegers chunk[kRowsPerBlock];
#pragma unroll
      for (int r = 0; r < kRowsPerBlock; ++r) chunk[r] = unpack_chunk<kType>(stage[warp][r], lane);
      const int64_t block = first / kQuantBlock + lane;
#pragma unroll
      for (int t = 0; t < kTokens; ++t) {
        if (t >= n_tokens) break;
        // The activations are read once for all kRowsPerBlock rows: the L1 traffic
        // they make, 2 bytes an element, is what limits one row a block.
        const ChunkActivations a = load_chunk_activations(x.values + t * in + block * kQuantBlock);
        const int64_t b = t * blocks_per_row + block;
        const float scale = x.scales[b], block_sum = static_cast<float>(x.sums[b]);
#pragma unroll
        for (int r = 0; r < kRowsPerBlock; ++r) {
          int lo, hi;
          chunk_int_dot(chunk[r], a, &lo, &hi);
          const float inner = chunk[r].c_lo * static_cast<float>(lo) + chunk[r].c_hi * static_cast<float>(hi) +
                              chunk[r].c_min * block_sum;
          sum[t][r] = fmaf(scale, inner, sum[t][r]);
        }
      }
    }
    __syncwarp();  // the next span overwrites the stage
  }
#pragma unroll
  for (int t = 0; t < kTokens; ++t) {
    if (t >= n_tokens) break;
#pragma unroll
    for (int r = 0; r < kRowsPerBlock; ++r) {
      const float total = warp_sum(sum[t][r]);
      if (lane == 0) warp_totals[t][r][warp] = total;
    }
  }
  __syncthreads();
  if (threadIdx.x < n_tokens * kRowsPerBlock) {  // a fixed order over the warps, whatever the batch
    const int t = threadIdx.x / kRowsPerBlock, r = threadIdx.x % kRowsPerBlock;
    const int64_t row = first_row + r;
    if (row < out) {
      float total = 0.0f;
#pragma unroll
      for (int i = 0; i < kWarpsPerBlock; ++i) total += warp_totals[t][r][i];
      y[t * out + row] = total + (bias != nullptr ? bias[row] : 0.0f);
    }
  }
}

// A block per kRowsPerBlock rows, the kernel instance with the fewest token
// accumulators that hold n_tokens.
template <DType kType, int kVec>
void launch_tokens(const QuantizedInput& x, int n_tokens, int64_t in, const uint8_t* w, int64_t row_bytes,
                   int64_t out, const float* bias, float* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((out + kRowsPerBlock - 1) / kRowsPerBlock));
  const dim3 block(32 * kWarpsPerBlock);
  with_token_capacity(n_tokens, [&](auto tokens) {
    matvec_int_kernel<kType, decltype(tokens)::value, kVec>
        <<<grid, block, 0, stream>>>(x, n_tokens, in, w, row_bytes, out, bias, y);
  });
}

template <DType kType>
void launch_matvec_int(const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                       int64_t out, const float* bias, float* y, cudaStream_t stream) {
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

bool has_integer_dot(DType type) {
  return type != DType::F32 && type != DType::F16 && type != DType::BF16;
}

void matvec_int(DType type, const QuantizedInput& x, int n_tokens, int64_t in, const void* w, int64_t row_bytes,
                int64_t out, const float* bias, float* y, cudaStream_t stream) {
  if (type == DType::Q8_0) {  // its rows are split into values and scales (split_row_layout.h)
    matvec_int_q8_0(x, n_tokens, in, w, row_bytes, out, bias, y, stream);
    return;
  }
  if (type == DType::Q6_K) {  // likewise split (split_row_layout.h)
    matvec_int_q6_k(x, n_tokens, in, w, row_bytes, out, bias, y, stream);
    return;
  }
  dispatch_dtype(type, [&](auto tag) {
    constexpr DType kType = decltype(tag)::value;
    if constexpr (kType != DType::F32 && kType != DType::F16 && kType != DType::BF16 && kType != DType::Q8_0 &&
                  kType != DType::Q6_K)
      launch_matvec_int<kType>(x, n_tokens, in, w, row_bytes, out, bias, y, stream);
  });
}

}  // namespace keel::cuda
