// Causal attention on the tensor cores. A block takes one KV head and up
// to 64 query rows that read it: the G = query_heads / kv_heads heads of
// that group for 64 / G consecutive tokens of one sequence (a decode step's
// token alone gives G rows), so each K/V tile is read once for the whole
// group. It walks the sequence's keys in tiles of 64 and keeps, per row, a
// running max and sum (online softmax), so nothing of size context is
// materialized.
//
//   S = Q · Kᵀ   [64 rows, 64 keys]   mma m16n8k16, 16-bit in, float32 sums
//   P = exp(S - running max)          in registers, rounded to 16 bits
//   O += P · V   [64 rows, head_dim]  mma m16n8k16, float32 sums
//
// Each of the four warps owns 16 rows. The S fragments a warp gets back
// from the first product are, register for register, the A fragments of
// the second, so P never leaves the registers. K and V tiles come through
// shared memory, the next tile's copy (cp.async) in flight while the
// current one is multiplied; V is read transposed by ldmatrix.trans.
//
// Q and P are rounded to the KV cache's 16-bit type (f16 keeps 11
// significant bits of P ∈ [0, 1]); every sum is float32. The fast path
// only: --exact-kernels keeps the float32 kernel (attention.cu).
//
// Addresses come from the step's batch as in attention.cu: position p of
// sequence s lives in slot block_tables[s][p / block_size] * block_size +
// p % block_size. Rows of one sequence are consecutive positions (the
// batch builder writes them so), so a tile's last token has its largest.
//
// A row's result depends only on its own query and its sequence's keys,
// never on which rows share its block (a key tile past a row's position
// leaves its sums exactly as they were), so batching and prefix reuse do
// not change it.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "backend/cuda/kernels.h"

namespace keel::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kTileRows = kWarps * 16;  // query rows per block: tokens x heads of one group
constexpr int kTileKeys = 64;           // keys per K/V tile
// Shared-memory rows are padded by 16 bytes, so that the eight rows one
// fragment load touches start in eight different bank quadruples.
constexpr int kPad = 8;

template <int kHeadDim>
constexpr int kRowStride = kHeadDim + kPad;  // 16-bit elements per shared row

// Q, then two K and two V tiles (double-buffered), 16-bit elements.
template <int kHeadDim>
constexpr size_t kSharedBytes = sizeof(uint16_t) * (kTileRows + 4 * kTileKeys) * kRowStride<kHeadDim>;

// ---- the 16-bit element types ----

struct F16 {};
struct BF16 {};

// Two floats rounded to T, `low` in the low 16 bits (the lower column of a
// fragment pair).
template <class T>
__device__ inline uint32_t pack(float low, float high);

// d += a · b for one 16x8x16 tile (a: 16x16 row-major fragment, b: 16x8
// column-major fragment, d: 16x8 float32 fragment).
template <class T>
__device__ inline void mma_16x8x16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
template <>
__device__ inline uint32_t pack<F16>(float low, float high) {
  const __half2 h = __floats2half2_rn(low, high);
  return *reinterpret_cast<const uint32_t*>(&h);
}
template <>
__device__ inline uint32_t pack<BF16>(float low, float high) {
  const __nv_bfloat162 h = __floats2bfloat162_rn(low, high);
  return *reinterpret_cast<const uint32_t*>(&h);
}

template <>
__device__ inline void mma_16x8x16<F16>(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ inline void mma_16x8x16<BF16>(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Four 8x8 16-bit matrices from shared memory, each transposed: lanes
// 8i..8i+7 name the rows of matrix i; lane l gets, of matrix i, the
// elements (row 2(l%4), column l/4) and (row 2(l%4)+1, column l/4).
__device__ inline void load_transposed_x4(uint32_t (&r)[4], const uint16_t* row) {
  const auto address = static_cast<uint32_t>(__cvta_generic_to_shared(row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// 16 bytes global -> shared without a register stop; zeros where !valid.
__device__ inline void copy_16_bytes_async(uint16_t* shared, const void* global, bool valid) {
  const auto address = static_cast<uint32_t>(__cvta_generic_to_shared(shared));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(global),
               "r"(valid ? 16 : 0));
}
__device__ inline void commit_async_copies() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ inline void wait_async_copies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ inline uint32_t load_pair(const uint16_t* p) { return *reinterpret_cast<const uint32_t*>(p); }
#endif

template <int kHeadDim, class T>
__global__ void __launch_bounds__(kThreads) flash_attention_kernel(AttentionLaunch a) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  constexpr int kStride = kRowStride<kHeadDim>;
  constexpr int kDimSteps = kHeadDim / 16;   // k-steps of Q · Kᵀ
  constexpr int kKeyTiles8 = kTileKeys / 8;  // n-tiles of S
  constexpr int kDimTiles8 = kHeadDim / 8;   // n-tiles of O
  extern __shared__ __align__(16) uint16_t shared[];
  uint16_t* const q_tile = shared;                          // [kTileRows, kStride]
  uint16_t* const k_tiles = shared + kTileRows * kStride;   // [2][kTileKeys, kStride]
  uint16_t* const v_tiles = k_tiles + 2 * kTileKeys * kStride;

  // Block row m is head first_head + m % group of token first_token + m / group.
  const int group = a.query_heads / a.kv_heads;
  const int tile_tokens = kTileRows / group;
  // This block's sequence and first token: sequences are cut into tiles of
  // tile_tokens tokens, numbered in sequence order; the grid may hold more
  // blocks than tiles (the host only knows an upper bound).
  int seq = -1, first_token = 0, end_token = 0;
  for (int s = 0, tile = static_cast<int>(blockIdx.x); s < a.n_seqs; ++s) {
    const int begin = a.query_start[s], end = a.query_start[s + 1];
    const int tiles = (end - begin + tile_tokens - 1) / tile_tokens;
    if (tile < tiles) {
      seq = s, first_token = begin + tile * tile_tokens, end_token = end;
      break;
    }
    tile -= tiles;
  }
  if (seq < 0) return;
  const int tokens = min(tile_tokens, end_token - first_token);
  const int rows = tokens * group;
  const int last_position = a.positions[first_token + tokens - 1];
  const int kv_head = static_cast<int>(blockIdx.y), first_head = kv_head * group;
  const int32_t* table = a.block_tables + static_cast<int64_t>(seq) * a.max_blocks_per_seq;
  const int64_t kv_row_elems = static_cast<int64_t>(a.kv_heads) * kHeadDim;
  const int64_t kv_offset = static_cast<int64_t>(kv_head) * kHeadDim;
  const int64_t q_row_elems = static_cast<int64_t>(a.query_heads) * kHeadDim;
  // Where block row r's query is read and its output written.
  const auto row_offset = [&](int r) {
    return (first_token + r / group) * q_row_elems + (first_head + r % group) * kHeadDim;
  };
  const auto* keys = static_cast<const uint16_t*>(a.keys);
  const auto* values = static_cast<const uint16_t*>(a.values);

  // Queues the copy of keys base .. base + kTileKeys - 1 into buffer `buffer`;
  // positions past the tile's last row are zeros (masked below, and zero
  // so that 0 · V stays 0).
  const auto queue_kv_tile = [&](int base, int buffer) {
    constexpr int kChunksPerRow = kHeadDim / 8;  // 16-byte chunks
    for (int c = static_cast<int>(threadIdx.x); c < kTileKeys * kChunksPerRow; c += kThreads) {
      const int key = c / kChunksPerRow, column = (c % kChunksPerRow) * 8;
      const int position = base + key;
      const bool valid = position <= last_position;
      int64_t element = 0;
      if (valid) {
        const int64_t slot =
            static_cast<int64_t>(table[position / a.block_size]) * a.block_size + position % a.block_size;
        element = slot * kv_row_elems + kv_offset + column;
      }
      const int at = (buffer * kTileKeys + key) * kStride + column;
      copy_16_bytes_async(k_tiles + at, keys + element, valid);
      copy_16_bytes_async(v_tiles + at, values + element, valid);
    }
    commit_async_copies();
  };
  queue_kv_tile(0, 0);

  // Q: float32 rows -> 16-bit rows in shared memory (zeros past `rows`).
  for (int c = static_cast<int>(threadIdx.x); c < kTileRows * kHeadDim / 4; c += kThreads) {
    const int r = c / (kHeadDim / 4), column = (c % (kHeadDim / 4)) * 4;
    float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    if (r < rows) v = *reinterpret_cast<const float4*>(a.q + row_offset(r) + column);
    uint32_t* to = reinterpret_cast<uint32_t*>(q_tile + r * kStride + column);
    to[0] = pack<T>(v.x, v.y);
    to[1] = pack<T>(v.z, v.w);
  }
  __syncthreads();

  // Fragment coordinates: lane = 4 * lane_row + quad; this thread holds
  // rows lane_row and lane_row + 8 of its warp's 16, columns 2 * quad and
  // 2 * quad + 1 of every 8-wide n-tile.
  const int warp = static_cast<int>(threadIdx.x) / 32, lane = static_cast<int>(threadIdx.x) % 32;
  const int lane_row = lane / 4, quad = lane % 4;
  const int row0 = warp * 16 + lane_row;  // and row0 + 8
  uint32_t q_frag[kDimSteps][4];
#pragma unroll
  for (int k = 0; k < kDimSteps; ++k) {
    const uint16_t* q0 = q_tile + row0 * kStride + k * 16 + 2 * quad;
    q_frag[k][0] = load_pair(q0);
    q_frag[k][1] = load_pair(q0 + 8 * kStride);
    q_frag[k][2] = load_pair(q0 + 8);
    q_frag[k][3] = load_pair(q0 + 8 * kStride + 8);
  }
  // A row past the tile's rows sees no key (position -1): it stays zero.
  const int row_position[2] = {row0 < rows ? a.positions[first_token + row0 / group] : -1,
                               row0 + 8 < rows ? a.positions[first_token + (row0 + 8) / group] : -1};
  const int warp_last_row = min(warp * 16 + 15, rows - 1);
  const int warp_last_position = warp * 16 < rows ? a.positions[first_token + warp_last_row / group] : -1;

  // exp(x · scale) as exp2(x · scale · log2 e).
  const float score_scale = rsqrtf(static_cast<float>(kHeadDim)) * 1.4426950408889634f;
  float running_max[2] = {-INFINITY, -INFINITY};
  float running_sum[2] = {0.0f, 0.0f};  // this thread's columns only; summed over the quad at the end
  float o[kDimTiles8][4] = {};

  const int n_key_tiles = last_position / kTileKeys + 1;
  for (int tile = 0; tile < n_key_tiles; ++tile) {
    if (tile + 1 < n_key_tiles) {
      queue_kv_tile((tile + 1) * kTileKeys, (tile + 1) % 2);
      wait_async_copies<1>();  // every copy but the one just queued has landed
    } else {
      wait_async_copies<0>();
    }
    __syncthreads();
    const int base = tile * kTileKeys;
    if (base <= warp_last_position) {  // a warp whose rows all precede the tile skips it
      const uint16_t* k_tile = k_tiles + (tile % 2) * kTileKeys * kStride;
      const uint16_t* v_tile = v_tiles + (tile % 2) * kTileKeys * kStride;
      // S = Q · Kᵀ: B[k = dim][n = key] is row `key` of the K tile.
      float s[kKeyTiles8][4];
#pragma unroll
      for (int n = 0; n < kKeyTiles8; ++n) {
        s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
        const uint16_t* k_row = k_tile + (n * 8 + lane_row) * kStride + 2 * quad;
#pragma unroll
        for (int k = 0; k < kDimSteps; ++k)
          mma_16x8x16<T>(s[n], q_frag[k], load_pair(k_row + k * 16), load_pair(k_row + k * 16 + 8));
      }
      // Causal mask, scale, and the rows' new maxima (a row's four quads
      // hold its 64 columns between them).
      float tile_max[2] = {running_max[0], running_max[1]};
#pragma unroll
      for (int n = 0; n < kKeyTiles8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int key = base + n * 8 + 2 * quad + (e & 1);
          s[n][e] = key <= row_position[e / 2] ? s[n][e] * score_scale : -INFINITY;
          tile_max[e / 2] = fmaxf(tile_max[e / 2], s[n][e]);
        }
      float correction[2], shift[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        tile_max[i] = fmaxf(tile_max[i], __shfl_xor_sync(0xffffffffu, tile_max[i], 1));
        tile_max[i] = fmaxf(tile_max[i], __shfl_xor_sync(0xffffffffu, tile_max[i], 2));
        // A row with no key yet keeps max -inf; shifting by 0 keeps its
        // exponentials at exp2(-inf) = 0 instead of NaN.
        shift[i] = tile_max[i] == -INFINITY ? 0.0f : tile_max[i];
        correction[i] = exp2f(running_max[i] - shift[i]);
        running_max[i] = tile_max[i];
        running_sum[i] *= correction[i];
      }
#pragma unroll
      for (int n = 0; n < kKeyTiles8; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          s[n][e] = exp2f(s[n][e] - shift[e / 2]);
          running_sum[e / 2] += s[n][e];
        }
#pragma unroll
      for (int d = 0; d < kDimTiles8; ++d) {
        o[d][0] *= correction[0], o[d][1] *= correction[0];
        o[d][2] *= correction[1], o[d][3] *= correction[1];
      }
      // O += P · V, 16 keys a step: the S n-tiles 2k and 2k+1 are the A
      // fragment of keys 16k .. 16k+15; B[k = key][n = dim] comes from the
      // V tile transposed, two dim n-tiles per load.
#pragma unroll
      for (int k = 0; k < kTileKeys / 16; ++k) {
        const uint32_t p[4] = {pack<T>(s[2 * k][0], s[2 * k][1]), pack<T>(s[2 * k][2], s[2 * k][3]),
                               pack<T>(s[2 * k + 1][0], s[2 * k + 1][1]), pack<T>(s[2 * k + 1][2], s[2 * k + 1][3])};
        const int matrix = lane / 8;
        const uint16_t* v_row = v_tile + (k * 16 + (matrix % 2) * 8 + lane % 8) * kStride + (matrix / 2) * 8;
#pragma unroll
        for (int d = 0; d < kDimTiles8; d += 2) {
          uint32_t b[4];
          load_transposed_x4(b, v_row + d * 8);
          mma_16x8x16<T>(o[d], p, b[0], b[1]);
          mma_16x8x16<T>(o[d + 1], p, b[2], b[3]);
        }
      }
    }
    __syncthreads();  // the next iteration's copy overwrites this tile's buffer
  }

  // O / row sum, written as float32 rows.
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    float sum = running_sum[i];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const int r = row0 + 8 * i;
    if (r >= rows) continue;
    const float inverse = 1.0f / sum;
    float* out = a.out + row_offset(r) + 2 * quad;
#pragma unroll
    for (int d = 0; d < kDimTiles8; ++d)
      *reinterpret_cast<float2*>(out + d * 8) = make_float2(o[d][2 * i] * inverse, o[d][2 * i + 1] * inverse);
  }
#endif
}

template <int kHeadDim, class T>
void launch(const AttentionLaunch& a, cudaStream_t stream) {
  // Past 48 KiB of dynamic shared memory a kernel must ask for it, once.
  static const bool allowed = [] {
    return cudaFuncSetAttribute(flash_attention_kernel<kHeadDim, T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                static_cast<int>(kSharedBytes<kHeadDim>)) == cudaSuccess;
  }();
  (void)allowed;  // a refusal shows as the launch's error
  // Σ ceil(tokens_s / t) <= n_tokens / t + n_seqs, and no tile is empty.
  const int tile_tokens = kTileRows / (a.query_heads / a.kv_heads);
  const int tiles = std::min(a.n_tokens, a.n_tokens / tile_tokens + a.n_seqs);
  const dim3 grid(static_cast<unsigned>(tiles), static_cast<unsigned>(a.kv_heads));
  flash_attention_kernel<kHeadDim, T><<<grid, kThreads, kSharedBytes<kHeadDim>, stream>>>(a);
}

bool has_tensor_core_mma() {
  static const bool available = [] {
    int device = 0, major = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    return major >= 8;
  }();
  return available;
}

bool aligned_16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

bool flash_attention(const AttentionLaunch& a, cudaStream_t stream) {
  const bool f16 = a.kv_type == DType::F16, bf16 = a.kv_type == DType::BF16;
  const int d = a.head_dim;
  if ((!f16 && !bf16) || (d != 16 && d != 32 && d != 64 && d != 128) || !has_tensor_core_mma()) return false;
  if (a.kv_heads <= 0 || a.query_heads % a.kv_heads != 0 || a.query_heads / a.kv_heads > kTileRows) return false;
  if (!aligned_16(a.q) || !aligned_16(a.out) || !aligned_16(a.keys) || !aligned_16(a.values)) return false;
  if (a.n_tokens == 0) return true;
  switch (d) {
    case 16: f16 ? launch<16, F16>(a, stream) : launch<16, BF16>(a, stream); break;
    case 32: f16 ? launch<32, F16>(a, stream) : launch<32, BF16>(a, stream); break;
    case 64: f16 ? launch<64, F16>(a, stream) : launch<64, BF16>(a, stream); break;
    default: f16 ? launch<128, F16>(a, stream) : launch<128, BF16>(a, stream); break;
  }
  return true;
}

}  // namespace keel::cuda
