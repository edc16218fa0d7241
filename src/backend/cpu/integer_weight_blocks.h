// The weight block types of the CPU's integer-dot kernels (integer_dot.cpp),
// in their portable form: where block b of a row is, its scale (and
// minimum), and its 32 values as int16. The AVX2 kernels read the same
// blocks through their own specializations, which must give the same
// numbers (tested bit for bit).
//
// Internal to integer_dot.cpp; a header only so that the types and the
// kernels are one concept each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/half.h"
#include "core/k_quant_scales.h"

namespace keel::cpu::integer_weight_blocks {

inline uint16_t load_u16(const std::byte* p) {
  uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return bits;
}

// The kernels walk a row in blocks of 32 elements. Each type says where
// block b of a row is (ref, and bytes_of for the byte offset of a run of
// whole blocks), where it keeps its scale (and minimum), and how to turn
// it into 32 int16 values qw - offset: -128..127, -8..7, -16..15 for Q8_0,
// Q4_0, Q5_0; 0..15 for Q4_1, whose offset is the separate float minimum
// mw (w = dw·qw + mw). The K-quants' blocks are the 32-element sub-blocks
// of their 256-element super-blocks: Q4_K and Q5_K as Q4_1 (dw = d·scale,
// mw = -dmin·min of the sub-block), Q6_K with its two 16-element scales
// folded into the values (sc·(q - 32), within ±4096) and dw = d.

// A type whose blocks are 32 elements, `Bytes` bytes each: a block is its address.
template <int64_t Bytes>
struct Blocks32 {
  static constexpr int64_t kBlockBytes = Bytes;
  using Ref = const std::byte*;
  static Ref ref(const std::byte* row, int64_t b) { return row + b * Bytes; }
  static int64_t bytes_of(int64_t blocks) { return blocks * Bytes; }
};

// Q8_0 (34 bytes): d:f16, qs:i8[32].
struct Q8_0Weights : Blocks32<34> {
  static constexpr bool kHasMinimum = false;
  static float scale(const std::byte* block) { return f16_to_f32(load_u16(block)); }
  static float minimum(const std::byte*) { return 0.0f; }
  static void unpack(const std::byte* block, int16_t* q) {
    for (int j = 0; j < 32; ++j) q[j] = static_cast<int8_t>(block[2 + j]);
  }
};

// Q4_0 (18 bytes): d:f16, qs:u8[16]; low nibbles are elements 0..15, high
// nibbles 16..31; value = nibble - 8.
struct Q4_0Weights : Blocks32<18> {
  static constexpr bool kHasMinimum = false;
  static float scale(const std::byte* block) { return f16_to_f32(load_u16(block)); }
  static float minimum(const std::byte*) { return 0.0f; }
  static void unpack(const std::byte* block, int16_t* q) {
    for (int j = 0; j < 16; ++j) {
      const auto byte = static_cast<uint8_t>(block[2 + j]);
      q[j] = static_cast<int16_t>((byte & 0xF) - 8);
      q[j + 16] = static_cast<int16_t>((byte >> 4) - 8);
    }
  }
};

// Q4_1 (20 bytes): d:f16, m:f16, qs:u8[16] as Q4_0; value = d·nibble + m.
struct Q4_1Weights : Blocks32<20> {
  static constexpr bool kHasMinimum = true;
  static float scale(const std::byte* block) { return f16_to_f32(load_u16(block)); }
  static float minimum(const std::byte* block) { return f16_to_f32(load_u16(block + 2)); }
  static void unpack(const std::byte* block, int16_t* q) {
    for (int j = 0; j < 16; ++j) {
      const auto byte = static_cast<uint8_t>(block[4 + j]);
      q[j] = static_cast<int16_t>(byte & 0xF);
      q[j + 16] = static_cast<int16_t>(byte >> 4);
    }
  }
};

// Q5_0 (22 bytes): d:f16, qh:u8[4] (bit k = fifth bit of element k),
// qs:u8[16] as Q4_0; value = 5-bit number - 16.
struct Q5_0Weights : Blocks32<22> {
  static constexpr bool kHasMinimum = false;
  static float scale(const std::byte* block) { return f16_to_f32(load_u16(block)); }
  static float minimum(const std::byte*) { return 0.0f; }
  static void unpack(const std::byte* block, int16_t* q) {
    uint32_t qh;
    std::memcpy(&qh, block + 2, sizeof qh);
    for (int j = 0; j < 16; ++j) {
      const auto byte = static_cast<uint8_t>(block[6 + j]);
      q[j] = static_cast<int16_t>(((byte & 0xF) | (((qh >> j) & 1u) << 4)) - 16);
      q[j + 16] = static_cast<int16_t>(((byte >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - 16);
    }
  }
};

// Sub-block `sub` (0..7) of a K-quant super-block.
struct SubBlock {
  const std::byte* super;
  int sub;
};

// A K-quant type: super-blocks of 256 elements, `SuperBytes` bytes each.
template <int64_t SuperBytes>
struct SubBlocks256 {
  using Ref = SubBlock;
  static Ref ref(const std::byte* row, int64_t b) { return {row + b / 8 * SuperBytes, static_cast<int>(b % 8)}; }
  static int64_t bytes_of(int64_t blocks) { return blocks / 8 * SuperBytes; }  // blocks: whole super-blocks
};

// Q4_K (144 bytes): d:f16, dmin:f16, scales:u8[12] (6-bit scale and min
// per sub-block), qs:u8[128]; sub-block s is the low (even s) or high (odd
// s) nibbles of qs[32·(s/2) ..]; w = d·scale·q - dmin·min. Q5_K (176
// bytes): the same header, qh:u8[32] (bit s of byte l: the fifth bit of
// element l of sub-block s), then qs.
template <bool kFiveBit>
struct QK45Weights : SubBlocks256<kFiveBit ? 176 : 144> {
  static constexpr bool kHasMinimum = true;
  static constexpr int64_t kQsAt = kFiveBit ? 48 : 16;
  static void scale_and_min(SubBlock r, int* scale, int* min) {
    unpack_scale_min(reinterpret_cast<const uint8_t*>(r.super + 4), r.sub, scale, min);
  }
  static float scale(SubBlock r) {
    int scale, min;
    scale_and_min(r, &scale, &min);
    return f16_to_f32(load_u16(r.super)) * static_cast<float>(scale);
  }
  static float minimum(SubBlock r) {
    int scale, min;
    scale_and_min(r, &scale, &min);
    return -f16_to_f32(load_u16(r.super + 2)) * static_cast<float>(min);
  }
  static void unpack(SubBlock r, int16_t* q) {
    const auto* qs = reinterpret_cast<const uint8_t*>(r.super + kQsAt + 32 * (r.sub / 2));
    const auto* qh = reinterpret_cast<const uint8_t*>(r.super + 16);
    const int shift = (r.sub & 1) * 4;
    for (int l = 0; l < 32; ++l) {
      int v = (qs[l] >> shift) & 0xF;
      if constexpr (kFiveBit) v |= ((qh[l] >> r.sub) & 1) << 4;
      q[l] = static_cast<int16_t>(v);
    }
  }
};
using Q4_KWeights = QK45Weights<false>;
using Q5_KWeights = QK45Weights<true>;

// Q6_K (210 bytes): ql:u8[128], qh:u8[64], scales:i8[16], d:f16. Sub-block
// s, n = s/4, k = s%4: q = (ql[64n + 32(k&1) + l] >> 4(k>>1)) & 15 |
// ((qh[32n + l] >> 2k) & 3) << 4, w = d · scales[8n + 2k + l/16] · (q - 32).
struct Q6_KWeights : SubBlocks256<210> {
  static constexpr bool kHasMinimum = false;
  static float scale(SubBlock r) { return f16_to_f32(load_u16(r.super + 208)); }
  static float minimum(SubBlock) { return 0.0f; }
  static void unpack(SubBlock r, int16_t* q) {
    const int n = r.sub / 4, k = r.sub % 4;
    const auto* ql = reinterpret_cast<const uint8_t*>(r.super + 64 * n + 32 * (k & 1));
    const auto* qh = reinterpret_cast<const uint8_t*>(r.super + 128 + 32 * n);
    const auto* scales = reinterpret_cast<const int8_t*>(r.super + 192 + 8 * n + 2 * k);
    for (int l = 0; l < 32; ++l) {
      const int v = (((ql[l] >> (4 * (k >> 1))) & 0xF) | (((qh[l] >> (2 * k)) & 3) << 4)) - 32;
      q[l] = static_cast<int16_t>(scales[l / 16] * v);
    }
  }
};

}  // namespace keel::cpu::integer_weight_blocks
