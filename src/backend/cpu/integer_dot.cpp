#include "backend/cpu/integer_dot.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/integer_weight_blocks.h"

#if KEEL_X86_KERNELS
#include <immintrin.h>
#endif

namespace keel::cpu {

namespace {

using namespace integer_weight_blocks;

constexpr int kLanes = 8;  // int32 lanes of one block's partial sums
constexpr int kHalf = 16;  // lane j holds elements 2j, 2j+1 of each half of the block
static_assert(2 * kLanes * 2 == ActivationBlock::kElems);

// ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)): the order the AVX2 horizontal sum
// adds an 8-lane register in.
float pairwise_sum(const float lanes[kLanes]) {
  const float s0 = lanes[0] + lanes[4], s1 = lanes[1] + lanes[5], s2 = lanes[2] + lanes[6], s3 = lanes[3] + lanes[7];
  return (s0 + s2) + (s1 + s3);
}

// ---- portable ----------------------------------------------------------

// One weight row against one token row, in the documented order.
template <class W>
float row_dot_portable(const std::byte* row, const ActivationBlock* x, int64_t blocks) {
  float lanes[kLanes] = {};
  float minimum_sum = 0.0f;
  for (int64_t b = 0; b < blocks; ++b) {
    const typename W::Ref block = W::ref(row, b);
    int16_t q[ActivationBlock::kElems];
    W::unpack(block, q);
    const float d = W::scale(block) * x[b].scale;
    const int16_t* v = x[b].values;
    for (int j = 0; j < kLanes; ++j) {
      int32_t sum = 0;
      for (const int k : {2 * j, 2 * j + 1, kHalf + 2 * j, kHalf + 2 * j + 1}) sum += int32_t{q[k]} * int32_t{v[k]};
      lanes[j] = std::fma(static_cast<float>(sum), d, lanes[j]);
    }
    if constexpr (W::kHasMinimum) minimum_sum = std::fma(W::minimum(block), x[b].scaled_sum, minimum_sum);
  }
  const float total = pairwise_sum(lanes);
  if constexpr (W::kHasMinimum) return total + minimum_sum;
  return total;
}

template <class W>
void accumulate_portable(const IntegerPanel& panel, const ActivationBlock* x, int64_t x_stride, int64_t n_tokens, float* y,
                         int64_t y_stride) {
  for (int64_t t = 0; t < n_tokens; ++t)
    for (int64_t r = 0; r < panel.n_rows; ++r)
      y[t * y_stride + r] += row_dot_portable<W>(panel.rows[r], x + t * x_stride, panel.blocks);
}

// The whole row, panel by panel, as accumulate_portable adds them.
template <class W>
void row_portable(const std::byte* row, int64_t blocks, int64_t panel_blocks, const ActivationBlock* x, int64_t x_stride,
                  int64_t n_tokens, float* y, int64_t y_stride) {
  for (int64_t first = 0; first < blocks; first += panel_blocks)
    for (int64_t t = 0; t < n_tokens; ++t)
      y[t * y_stride] +=
          row_dot_portable<W>(row + W::bytes_of(first), x + t * x_stride + first, std::min(panel_blocks, blocks - first));
}

// ---- AVX2 --------------------------------------------------------------

#if KEEL_X86_KERNELS

KEEL_TARGET_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

KEEL_TARGET_AVX2 inline float f16_scale(const std::byte* p) { return _cvtsh_ss(load_u16(p)); }

// 16 bytes of packed nibbles -> 32 bytes: low nibbles first (elements
// 0..15), then high nibbles (16..31).
KEEL_TARGET_AVX2 inline __m256i unpack_nibbles(const std::byte* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  const __m128i low = _mm_and_si128(packed, low_mask);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), low_mask);
  return _mm256_set_m128i(high, low);
}

// One weight block widened to int16, in two halves of 16: elements 0..15
// and 16..31.
struct WideBlock {
  __m256i low, high;
};

KEEL_TARGET_AVX2 inline WideBlock widen(__m256i w) {
  return {_mm256_cvtepi8_epi16(_mm256_castsi256_si128(w)), _mm256_cvtepi8_epi16(_mm256_extracti128_si256(w, 1))};
}

// 16 bytes of packed nibbles widened to int16: the low nibbles are elements
// 0..15, the high ones 16..31 (each byte zero-extended to 16 bits, so a
// shift by 4 leaves its high nibble), `offset` subtracted from each.
KEEL_TARGET_AVX2 inline WideBlock widen_nibbles(const std::byte* qs, int16_t offset) {
  const __m256i bytes = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  const __m256i subtract = _mm256_set1_epi16(offset);
  return {_mm256_sub_epi16(_mm256_and_si256(bytes, _mm256_set1_epi16(0x0F)), subtract),
          _mm256_sub_epi16(_mm256_srli_epi16(bytes, 4), subtract)};
}

// Per type: the block's 32 values widened to int16 (the values W::unpack
// writes), its scale, its minimum.
template <class W>
struct Avx2;

template <>
struct Avx2<Q8_0Weights> {
  KEEL_TARGET_AVX2 static WideBlock wide(const std::byte* block) {
    return {_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2))),
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 18)))};
  }
  KEEL_TARGET_AVX2 static float scale(const std::byte* block) { return f16_scale(block); }
  static float minimum(const std::byte*) { return 0.0f; }
};

template <>
struct Avx2<Q4_0Weights> {
  KEEL_TARGET_AVX2 static WideBlock wide(const std::byte* block) { return widen_nibbles(block + 2, 8); }
  KEEL_TARGET_AVX2 static float scale(const std::byte* block) { return f16_scale(block); }
  static float minimum(const std::byte*) { return 0.0f; }
};

template <>
struct Avx2<Q4_1Weights> {
  KEEL_TARGET_AVX2 static WideBlock wide(const std::byte* block) { return widen_nibbles(block + 4, 0); }
  KEEL_TARGET_AVX2 static float scale(const std::byte* block) { return f16_scale(block); }
  KEEL_TARGET_AVX2 static float minimum(const std::byte* block) { return f16_scale(block + 2); }
};

template <>
struct Avx2<Q5_0Weights> {
  KEEL_TARGET_AVX2 static __m256i unpack(const std::byte* block) {
    uint32_t qh;
    std::memcpy(&qh, block + 2, sizeof qh);
    // Byte k of the result gets byte k / 8 of qh, then keeps bit k % 8 of
    // it: 0x10 where element k's fifth bit is set.
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(qh)),
        _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
    const __m256i fifth = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
    return _mm256_sub_epi8(_mm256_or_si256(unpack_nibbles(block + 6), fifth), _mm256_set1_epi8(16));
  }
  KEEL_TARGET_AVX2 static WideBlock wide(const std::byte* block) { return widen(unpack(block)); }
  KEEL_TARGET_AVX2 static float scale(const std::byte* block) { return f16_scale(block); }
  static float minimum(const std::byte*) { return 0.0f; }
};

// The K-quants' sub-blocks: 32 bytes of their nibbles (and fifth bits, or
// Q6_K's high bit pairs) picked by a byte-wise shift and mask, widened.
template <bool kFiveBit>
struct Avx2<QK45Weights<kFiveBit>> {
  using W = QK45Weights<kFiveBit>;
  KEEL_TARGET_AVX2 static WideBlock wide(SubBlock r) {
    const __m256i qs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.super + W::kQsAt + 32 * (r.sub / 2)));
    // A 16-bit shift moves the next byte's bits into the top of this one; the byte mask drops them.
    __m256i v = _mm256_and_si256(_mm256_srl_epi16(qs, _mm_cvtsi32_si128((r.sub & 1) * 4)), _mm256_set1_epi8(0x0F));
    if constexpr (kFiveBit) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.super + 16));
      const __m256i fifth = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(r.sub)), _mm256_set1_epi8(0x01));
      v = _mm256_or_si256(v, _mm256_slli_epi16(fifth, 4));
    }
    return {_mm256_cvtepu8_epi16(_mm256_castsi256_si128(v)), _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v, 1))};
  }
  // The portable functions' formulas with the f16 conversion in hardware
  // (exact either way, so the same floats).
  KEEL_TARGET_AVX2 static float scale(SubBlock r) {
    int scale, min;
    W::scale_and_min(r, &scale, &min);
    return f16_scale(r.super) * static_cast<float>(scale);
  }
  KEEL_TARGET_AVX2 static float minimum(SubBlock r) {
    int scale, min;
    W::scale_and_min(r, &scale, &min);
    return -f16_scale(r.super + 2) * static_cast<float>(min);
  }
};

template <>
struct Avx2<Q6_KWeights> {
  KEEL_TARGET_AVX2 static WideBlock wide(SubBlock r) {
    const int n = r.sub / 4, k = r.sub % 4;
    const __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.super + 64 * n + 32 * (k & 1)));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.super + 128 + 32 * n));
    const __m256i low = _mm256_and_si256(_mm256_srl_epi16(ql, _mm_cvtsi32_si128(4 * (k >> 1))), _mm256_set1_epi8(0x0F));
    const __m256i high = _mm256_slli_epi16(
        _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * k)), _mm256_set1_epi8(0x03)), 4);
    const __m256i q = _mm256_or_si256(low, high);  // 0..63 in each byte
    const auto* scales = reinterpret_cast<const int8_t*>(r.super + 192 + 8 * n + 2 * k);
    const __m256i offset = _mm256_set1_epi16(32);
    const __m256i first = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(q)), offset);
    const __m256i second = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(q, 1)), offset);
    return {_mm256_mullo_epi16(first, _mm256_set1_epi16(scales[0])),
            _mm256_mullo_epi16(second, _mm256_set1_epi16(scales[1]))};
  }
  KEEL_TARGET_AVX2 static float scale(SubBlock r) { return f16_scale(r.super + 208); }
  static float minimum(SubBlock) { return 0.0f; }
};

// A token's block of activations, in the same two halves.
KEEL_TARGET_AVX2 inline WideBlock load_values(const ActivationBlock& block) {
  return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.values)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.values + kHalf))};
}

// The eight lane sums of Σ w·x for one block, as floats: madd multiplies
// int16 pairs and adds neighbours, so lane j gets elements 2j, 2j+1 of each
// half (exact: see the header).
KEEL_TARGET_AVX2 inline __m256 block_lane_sums(const WideBlock& w, const WideBlock& x) {
  return _mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_madd_epi16(w.low, x.low), _mm256_madd_epi16(w.high, x.high)));
}

// Where the kernels read a panel's weight blocks from. Both give the same
// values, so a kernel's results do not depend on which is used.
//  - StoredBlocks: the blocks as stored, unpacked and widened on every read
//    (cheapest when few tokens share each block);
//  - WidenedPanel: the panel unpacked and widened once into a 2.3 KiB local
//    copy (4 rows × 8 blocks of int16, float scales) that every token row
//    then reads from L1: prefill unpacks each block once per panel instead
//    of once per token pair.
template <class W>
struct StoredBlocks {
  static constexpr bool kHasMinimum = W::kHasMinimum;
  const IntegerPanel& panel;
  int64_t blocks() const { return panel.blocks; }
  typename W::Ref block(int r, int64_t b) const { return W::ref(panel.rows[r], b); }
  KEEL_TARGET_AVX2 WideBlock wide(int r, int64_t b) const { return Avx2<W>::wide(block(r, b)); }
  KEEL_TARGET_AVX2 float scale(int r, int64_t b) const { return Avx2<W>::scale(block(r, b)); }
  KEEL_TARGET_AVX2 float minimum(int r, int64_t b) const { return Avx2<W>::minimum(block(r, b)); }
};

template <bool HasMinimum>
struct WidenedPanel {
  static constexpr int64_t kMaxBlocks = 8;  // a 256-column panel (CpuBackend::kPanelCols)
  static constexpr bool kHasMinimum = HasMinimum;
  // int16 values, not WideBlocks: GCC copies a struct of __m256i through
  // 16-byte halves, and the 32-byte load that follows then misses store
  // forwarding (measured 7× slower); explicit vector loads and stores do not.
  alignas(32) int16_t widened[IntegerPanel::kMaxRows][kMaxBlocks][ActivationBlock::kElems];
  float scales[IntegerPanel::kMaxRows][kMaxBlocks];
  alignas(16) float minimums[kMaxBlocks][IntegerPanel::kMaxRows];  // block-major: the four rows' minimums in one load
  int64_t n_blocks = 0;

  template <class Source>
  KEEL_TARGET_AVX2 explicit WidenedPanel(const Source& source) : n_blocks(source.blocks()) {
    for (int r = 0; r < IntegerPanel::kMaxRows; ++r)
      for (int64_t b = 0; b < n_blocks; ++b) {
        const WideBlock w = source.wide(r, b);
        _mm256_store_si256(reinterpret_cast<__m256i*>(widened[r][b]), w.low);
        _mm256_store_si256(reinterpret_cast<__m256i*>(widened[r][b] + kHalf), w.high);
        scales[r][b] = source.scale(r, b);
        minimums[b][r] = source.minimum(r, b);
      }
  }
  int64_t blocks() const { return n_blocks; }
  KEEL_TARGET_AVX2 WideBlock wide(int r, int64_t b) const {
    return {_mm256_load_si256(reinterpret_cast<const __m256i*>(widened[r][b])),
            _mm256_load_si256(reinterpret_cast<const __m256i*>(widened[r][b] + kHalf))};
  }
  float scale(int r, int64_t b) const { return scales[r][b]; }
  float minimum(int r, int64_t b) const { return minimums[b][r]; }
  KEEL_TARGET_AVX2 __m128 four_minimums(int64_t b) const { return _mm_load_ps(minimums[b]); }
};

// One row's panel of one K-quant super-block (eight sub-blocks), read as
// stored, with the eight sub-block scales and minimums decoded once up
// front (the row kernel's panel of 256 columns is one super-block).
// StoredBlocks decodes a sub-block's 6-bit scale and minimum twice and
// converts the super-block's two f16 factors twice for every sub-block, with
// the sub-block index unknown at compile time: a third of a one-token Q4_K
// step's instructions. Here the eight are unpacked together as words and
// multiplied in one vector step. The same products of the same values, so
// the same floats as StoredBlocks.
template <class W>
struct StoredSuperBlock {
  static constexpr bool kHasMinimum = W::kHasMinimum;
  static constexpr int64_t kBlocks = 8;
  const std::byte* super;
  float scales[kBlocks];
  float minimums[kBlocks];

  KEEL_TARGET_AVX2 explicit StoredSuperBlock(const std::byte* super_block) : super(super_block) {
    if constexpr (W::kHasMinimum) {  // Q4_K, Q5_K: d · scale_s and -dmin · min_s
      // The 12 packed bytes as three words (core/k_quant_scales.h's layout):
      // sub-blocks 0..3 keep their 6 bits in bytes 0..3 (scales) and 4..7
      // (minimums); 4..7 keep their low 4 bits in the nibbles of bytes
      // 8..11 and their top 2 bits in the top bits of bytes 0..7.
      uint32_t packed[3];
      std::memcpy(packed, super + 4, sizeof packed);
      constexpr uint32_t kSixBits = 0x3F3F3F3Fu, kNibbles = 0x0F0F0F0Fu, kTopTwo = 0x03030303u;
      const uint64_t scale_bytes =
          (packed[0] & kSixBits) |
          uint64_t{(packed[2] & kNibbles) | (((packed[0] >> 6) & kTopTwo) << 4)} << 32;
      const uint64_t min_bytes =
          (packed[1] & kSixBits) |
          uint64_t{((packed[2] >> 4) & kNibbles) | (((packed[1] >> 6) & kTopTwo) << 4)} << 32;
      scaled_bytes(scale_bytes, f16_scale(super), scales);
      scaled_bytes(min_bytes, -f16_scale(super + 2), minimums);
    } else {  // Q6_K: one factor for the super-block (its 8-bit scales are in the widened values)
      const float d = Avx2<W>::scale(SubBlock{super, 0});
      for (int s = 0; s < kBlocks; ++s) {
        scales[s] = d;
        minimums[s] = 0.0f;
      }
    }
  }
  // out[k] = factor · (byte k of bytes), k < 8.
  KEEL_TARGET_AVX2 static void scaled_bytes(uint64_t bytes, float factor, float* out) {
    const __m256 values = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(bytes))));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_set1_ps(factor), values));
  }
  int64_t blocks() const { return kBlocks; }
  KEEL_TARGET_AVX2 WideBlock wide(int, int64_t b) const { return Avx2<W>::wide(SubBlock{super, static_cast<int>(b)}); }
  float scale(int, int64_t b) const { return scales[b]; }
  float minimum(int, int64_t b) const { return minimums[b]; }
};

// Whether W's panels of whole super-blocks can be read as StoredSuperBlock.
template <class W>
constexpr bool kSuperBlocks = std::is_same_v<typename W::Ref, SubBlock>;

// Four rows against two token rows, from the stored blocks: 4 × 2
// accumulators; each weight block is unpacked once and feeds both tokens.
template <class Source>
KEEL_TARGET_AVX2 void four_rows_two_tokens(const Source& w_blocks, int64_t n_rows, const ActivationBlock* x0,
                                           const ActivationBlock* x1, float* y0, float* y1) {
  __m256 acc0[4], acc1[4];
  float minimum0[4] = {}, minimum1[4] = {};
  for (int r = 0; r < 4; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < w_blocks.blocks(); ++b) {
    const WideBlock v0 = load_values(x0[b]), v1 = load_values(x1[b]);
    const float dx0 = x0[b].scale, dx1 = x1[b].scale;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      const WideBlock w = w_blocks.wide(r, b);
      const float dw = w_blocks.scale(r, b);
      acc0[r] = _mm256_fmadd_ps(block_lane_sums(w, v0), _mm256_set1_ps(dw * dx0), acc0[r]);
      acc1[r] = _mm256_fmadd_ps(block_lane_sums(w, v1), _mm256_set1_ps(dw * dx1), acc1[r]);
      if constexpr (Source::kHasMinimum) {
        const float m = w_blocks.minimum(r, b);
        minimum0[r] = std::fma(m, x0[b].scaled_sum, minimum0[r]);
        minimum1[r] = std::fma(m, x1[b].scaled_sum, minimum1[r]);
      }
    }
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    float s0 = horizontal_sum(acc0[r]), s1 = horizontal_sum(acc1[r]);
    if constexpr (Source::kHasMinimum) {
      s0 += minimum0[r];
      s1 += minimum1[r];
    }
    y0[r] += s0;
    y1[r] += s1;
  }
}

// Four rows against one token row, in exactly the order of
// four_rows_two_tokens (and of the portable kernel): batching changes
// nothing. Over a WidenedPanel it is the prefill kernel: 4 accumulators and
// the weight read straight from L1 leave the registers free (two tokens'
// worth of accumulators and activations would spill).
template <class Source>
KEEL_TARGET_AVX2 void four_rows_one_token(const Source& w_blocks, int64_t n_rows, const ActivationBlock* x0,
                                          float* y0) {
  __m256 acc0[4];
  float minimum0[4] = {};
  // Over a WidenedPanel the four rows' minimum sums are one vector: the
  // same fma per row in the same order, one instruction for the four.
  constexpr bool kFourMinimums = Source::kHasMinimum && requires(const Source& s) { s.four_minimums(0); };
  __m128 minimums = _mm_setzero_ps();
  for (int r = 0; r < 4; ++r) acc0[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < w_blocks.blocks(); ++b) {
    const WideBlock v0 = load_values(x0[b]);
    const float dx0 = x0[b].scale;
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      const WideBlock w = w_blocks.wide(r, b);
      const float dw = w_blocks.scale(r, b);
      acc0[r] = _mm256_fmadd_ps(block_lane_sums(w, v0), _mm256_set1_ps(dw * dx0), acc0[r]);
      if constexpr (Source::kHasMinimum && !kFourMinimums)
        minimum0[r] = std::fma(w_blocks.minimum(r, b), x0[b].scaled_sum, minimum0[r]);
    }
    if constexpr (kFourMinimums)
      minimums = _mm_fmadd_ps(w_blocks.four_minimums(b), _mm_set1_ps(x0[b].scaled_sum), minimums);
  }
  if constexpr (kFourMinimums) _mm_storeu_ps(minimum0, minimums);
  for (int64_t r = 0; r < n_rows; ++r) {
    float s0 = horizontal_sum(acc0[r]);
    if constexpr (Source::kHasMinimum) s0 += minimum0[r];
    y0[r] += s0;
  }
}

// One row against N token rows (x[i]: token i's blocks from the panel's
// first column), each in the order four_rows_one_token gives that row: one
// accumulator chain per token, the weight block widened once for all N.
// One token has a single chain, one block in flight per fma latency, which
// still outruns memory.
template <int N, class Source>
KEEL_TARGET_AVX2 void one_row_n_tokens(const Source& w_blocks, const ActivationBlock* const* x, float* const* y) {
  __m256 acc[N];
  float minimum[N];
  for (int i = 0; i < N; ++i) {
    acc[i] = _mm256_setzero_ps();
    minimum[i] = 0.0f;
  }
  for (int64_t b = 0; b < w_blocks.blocks(); ++b) {
    const WideBlock w = w_blocks.wide(0, b);
    const float dw = w_blocks.scale(0, b);
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
      acc[i] = _mm256_fmadd_ps(block_lane_sums(w, load_values(x[i][b])), _mm256_set1_ps(dw * x[i][b].scale), acc[i]);
      if constexpr (Source::kHasMinimum) minimum[i] = std::fma(w_blocks.minimum(0, b), x[i][b].scaled_sum, minimum[i]);
    }
  }
  for (int i = 0; i < N; ++i) {
    float sum = horizontal_sum(acc[i]);
    if constexpr (Source::kHasMinimum) sum += minimum[i];
    *y[i] += sum;
  }
}

// Tokens [t, t + N) of the row kernel's batch against one panel of its row.
template <int N, class Source>
KEEL_TARGET_AVX2 void row_panel_tokens(const Source& stored, const ActivationBlock* x, int64_t x_stride, int64_t first,
                                       int64_t t, float* y, int64_t y_stride) {
  const ActivationBlock* xs[N];
  float* ys[N];
  for (int i = 0; i < N; ++i) {
    xs[i] = x + (t + i) * x_stride + first;
    ys[i] = y + (t + i) * y_stride;
  }
  one_row_n_tokens<N>(stored, xs, ys);
}

template <class W>
KEEL_TARGET_AVX2 void row_avx2(const std::byte* row, int64_t blocks, int64_t panel_blocks, const ActivationBlock* x,
                               int64_t x_stride, int64_t n_tokens, float* y, int64_t y_stride) {
  IntegerPanel panel;
  panel.n_rows = 1;
  for (int64_t first = 0; first < blocks; first += panel_blocks) {
    panel.rows[0] = row + W::bytes_of(first);
    panel.blocks = std::min(panel_blocks, blocks - first);
    auto run_tokens = [&](const auto& source) {
      int64_t t = 0;
      for (; t + 4 <= n_tokens; t += 4) row_panel_tokens<4>(source, x, x_stride, first, t, y, y_stride);
      for (; t + 2 <= n_tokens; t += 2) row_panel_tokens<2>(source, x, x_stride, first, t, y, y_stride);
      if (t < n_tokens) row_panel_tokens<1>(source, x, x_stride, first, t, y, y_stride);
    };
    if constexpr (kSuperBlocks<W>) {
      if (panel.blocks == StoredSuperBlock<W>::kBlocks) {
        run_tokens(StoredSuperBlock<W>(panel.rows[0]));
        continue;
      }
    }
    run_tokens(StoredBlocks<W>{panel});
  }
}

// From this many token rows on, widening the panel once beats unpacking
// each block for every token pair (bench/matmul_benchmark.cpp: 15–30%
// faster at 64 tokens, no better at 8).
constexpr int64_t kTokensWorthWidening = 16;

template <class W>
KEEL_TARGET_AVX2 void accumulate_avx2(const IntegerPanel& panel, const ActivationBlock* x, int64_t x_stride,
                                      int64_t n_tokens, float* y, int64_t y_stride) {
  IntegerPanel full = panel;  // the kernels always read four rows; spare ones repeat row 0
  for (int64_t r = panel.n_rows; r < IntegerPanel::kMaxRows; ++r) full.rows[r] = panel.rows[0];
  const StoredBlocks<W> stored{full};
  if (n_tokens >= kTokensWorthWidening && panel.blocks <= WidenedPanel<W::kHasMinimum>::kMaxBlocks) {
    const WidenedPanel<W::kHasMinimum> widened(stored);
    for (int64_t t = 0; t < n_tokens; ++t) four_rows_one_token(widened, panel.n_rows, x + t * x_stride, y + t * y_stride);
    return;
  }
  int64_t t = 0;
  for (; t + 2 <= n_tokens; t += 2)
    four_rows_two_tokens(stored, panel.n_rows, x + t * x_stride, x + (t + 1) * x_stride, y + t * y_stride,
                         y + (t + 1) * y_stride);
  if (t < n_tokens) four_rows_one_token(stored, panel.n_rows, x + t * x_stride, y + t * y_stride);
}

#endif  // KEEL_X86_KERNELS

// `pick.template operator()<W>()` for the block type W of `type`: one
// table of the block types for every kernel family; null for other types.
template <class Kernel, class Pick>
Kernel for_block_type(DType type, Pick pick) {
  switch (type) {
    case DType::Q8_0: return pick.template operator()<Q8_0Weights>();
    case DType::Q4_0: return pick.template operator()<Q4_0Weights>();
    case DType::Q4_1: return pick.template operator()<Q4_1Weights>();
    case DType::Q5_0: return pick.template operator()<Q5_0Weights>();
    case DType::Q4_K: return pick.template operator()<Q4_KWeights>();
    case DType::Q5_K: return pick.template operator()<Q5_KWeights>();
    case DType::Q6_K: return pick.template operator()<Q6_KWeights>();
    default: return nullptr;
  }
}

}  // namespace

bool has_integer_kernel(DType type) {
  return type == DType::Q8_0 || type == DType::Q4_0 || type == DType::Q4_1 || type == DType::Q5_0 ||
         type == DType::Q4_K || type == DType::Q5_K || type == DType::Q6_K;
}

IntegerPanelKernel integer_panel_kernel_portable(DType type) {
  return for_block_type<IntegerPanelKernel>(type, []<class W>() { return &accumulate_portable<W>; });
}

IntegerRowKernel integer_row_kernel_portable(DType type) {
  return for_block_type<IntegerRowKernel>(type, []<class W>() { return &row_portable<W>; });
}

IntegerPanelKernel integer_panel_kernel_avx2(DType type) {
#if KEEL_X86_KERNELS
  return for_block_type<IntegerPanelKernel>(type, []<class W>() { return &accumulate_avx2<W>; });
#else
  (void)type;
  return nullptr;
#endif
}

IntegerRowKernel integer_row_kernel_avx2(DType type) {
#if KEEL_X86_KERNELS
  return for_block_type<IntegerRowKernel>(type, []<class W>() { return &row_avx2<W>; });
#else
  (void)type;
  return nullptr;
#endif
}

IntegerRowKernel integer_row_kernel(DType type) {
  if (cpu_features().avx2) {
    if (IntegerRowKernel kernel = integer_row_kernel_avx2(type)) return kernel;
  }
  return integer_row_kernel_portable(type);
}

IntegerPanelKernel integer_panel_kernel(DType type) {
  if (cpu_features().avx2) {
    if (IntegerPanelKernel kernel = integer_panel_kernel_avx2(type)) return kernel;
  }
  return integer_panel_kernel_portable(type);
}

}  // namespace keel::cpu
