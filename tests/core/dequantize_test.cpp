// dequantize_row / quantize_row against the block formulas of
// ../shared/reference/models-and-formats.md §2.5.
//
// Each decode test chooses the quantized value of every element first,
// packs those values into a block by following the layout description
// (where each element's bits live), and expects the formula applied to the
// chosen values. The packing is the inverse of the decoder, written from
// the specification, so a mistake in the decoder's bit extraction shows up
// as a mismatch instead of being reproduced.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "core/dequantize.h"
#include "core/half.h"

namespace keel {
namespace {

void put_f16(uint8_t* p, float value) {
  const uint16_t bits = f32_to_f16(value);
  std::memcpy(p, &bits, 2);
}

// Tolerance for values the decoder may compute in a different float order.
void expect_close(const std::vector<float>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t e = 0; e < actual.size(); ++e)
    EXPECT_NEAR(actual[e], expected[e], 1e-6 * std::fabs(expected[e]) + 1e-7) << "element " << e;
}

std::vector<float> decode(DType type, const std::vector<uint8_t>& block, int n) {
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(type, block.data(), out.data(), n);
  return out;
}

class DequantizeTest : public ::testing::Test {
 protected:
  int random_int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  std::mt19937 rng_{1234};
};

TEST_F(DequantizeTest, PlainTypes) {
  const std::array<float, 3> values = {1.5f, -2.25f, 65504.0f};
  std::vector<uint8_t> f32(12), f16(6), bf16(6);
  std::memcpy(f32.data(), values.data(), 12);
  for (int k = 0; k < 3; ++k) put_f16(&f16[2 * k], values[k]);
  // bf16 = top half of the float32 bits; these values have zero low halves.
  for (int k = 0; k < 3; ++k) {
    uint32_t bits;
    std::memcpy(&bits, &values[k], 4);
    const uint16_t top = static_cast<uint16_t>(bits >> 16);
    std::memcpy(&bf16[2 * k], &top, 2);
  }
  EXPECT_EQ(decode(DType::F32, f32, 3), std::vector<float>(values.begin(), values.end()));
  EXPECT_EQ(decode(DType::F16, f16, 3), std::vector<float>(values.begin(), values.end()));
  EXPECT_EQ(decode(DType::BF16, bf16, 3)[1], -2.25f);
}

TEST_F(DequantizeTest, Q8_0) {
  std::vector<uint8_t> block(34);
  put_f16(&block[0], 0.0625f);
  std::vector<double> expected(32);
  for (int e = 0; e < 32; ++e) {
    const int q = random_int(-128, 127);
    block[2 + e] = static_cast<uint8_t>(static_cast<int8_t>(q));
    expected[e] = 0.0625 * q;
  }
  expect_close(decode(DType::Q8_0, block, 32), expected);
}

TEST_F(DequantizeTest, Q4_0) {
  std::vector<uint8_t> block(18, 0);
  put_f16(&block[0], -0.5f);
  std::vector<double> expected(32);
  for (int e = 0; e < 32; ++e) {
    const int q = random_int(0, 15);
    // Elements 0..15 are the low nibbles of qs[0..15], 16..31 the high nibbles.
    block[2 + e % 16] |= static_cast<uint8_t>(e < 16 ? q : q << 4);
    expected[e] = -0.5 * (q - 8);
  }
  expect_close(decode(DType::Q4_0, block, 32), expected);
}

TEST_F(DequantizeTest, Q4_1) {
  std::vector<uint8_t> block(20, 0);
  put_f16(&block[0], 0.25f);
  put_f16(&block[2], -1.5f);
  std::vector<double> expected(32);
  for (int e = 0; e < 32; ++e) {
    const int q = random_int(0, 15);
    block[4 + e % 16] |= static_cast<uint8_t>(e < 16 ? q : q << 4);
    expected[e] = 0.25 * q - 1.5;
  }
  expect_close(decode(DType::Q4_1, block, 32), expected);
}

TEST_F(DequantizeTest, Q5_0) {
  std::vector<uint8_t> block(22, 0);
  put_f16(&block[0], 0.125f);
  std::vector<double> expected(32);
  uint32_t qh = 0;
  for (int e = 0; e < 32; ++e) {
    const int q = random_int(0, 31);
    block[6 + e % 16] |= static_cast<uint8_t>(e < 16 ? (q & 15) : (q & 15) << 4);
    qh |= static_cast<uint32_t>(q >> 4) << e;  // bit e of the little-endian u32 = fifth bit of element e
    expected[e] = 0.125 * (q - 16);
  }
  std::memcpy(&block[2], &qh, 4);
  expect_close(decode(DType::Q5_0, block, 32), expected);
}

// Packs eight (scale, min) pairs of 6 bits into the 12-byte K-quant field.
std::array<uint8_t, 12> pack_scales_mins(const std::array<int, 8>& scale, const std::array<int, 8>& min) {
  std::array<uint8_t, 12> out{};
  for (int s = 0; s < 4; ++s) {
    out[s] = static_cast<uint8_t>(scale[s] | ((scale[s + 4] >> 4) << 6));
    out[s + 4] = static_cast<uint8_t>(min[s] | ((min[s + 4] >> 4) << 6));
    out[s + 8] = static_cast<uint8_t>((scale[s + 4] & 15) | ((min[s + 4] & 15) << 4));
  }
  return out;
}

// Q4_K and Q5_K: element e lies in sub-block e/32 and in 64-chunk c = e/64;
// its low 4 bits are the low (first 32 of the chunk) or high (last 32)
// nibble of qs[32c + e%32]; Q5_K's fifth bit is bit e/32 of qh[e%32].
void check_k4_k5(DType type, std::mt19937& rng) {
  const bool five_bit = type == DType::Q5_K;
  std::uniform_int_distribution<int> six_bits(0, 63), value(0, five_bit ? 31 : 15);
  std::array<int, 8> scale{}, min{};
  for (int s = 0; s < 8; ++s) {
    scale[s] = six_bits(rng);
    min[s] = six_bits(rng);
  }
  scale[7] = 63;  // exercise the top bits of the packed high sub-blocks
  min[6] = 48;
  std::vector<uint8_t> block(five_bit ? 176 : 144, 0);
  const float d = 0.03125f, dmin = 0.0078125f;
  put_f16(&block[0], d);
  put_f16(&block[2], dmin);
  const auto packed = pack_scales_mins(scale, min);
  std::memcpy(&block[4], packed.data(), 12);
  uint8_t* qh = five_bit ? &block[16] : nullptr;
  uint8_t* qs = five_bit ? &block[48] : &block[16];
  std::vector<double> expected(256);
  for (int e = 0; e < 256; ++e) {
    const int q = value(rng);
    const int c = e / 64, r = e % 64, s = e / 32;
    qs[32 * c + r % 32] |= static_cast<uint8_t>(r < 32 ? (q & 15) : (q & 15) << 4);
    if (five_bit) qh[e % 32] |= static_cast<uint8_t>((q >> 4) << s);
    expected[e] = static_cast<double>(d) * scale[s] * q - static_cast<double>(dmin) * min[s];
  }
  expect_close(decode(type, block, 256), expected);
}

TEST_F(DequantizeTest, Q4_K) { check_k4_k5(DType::Q4_K, rng_); }
TEST_F(DequantizeTest, Q5_K) { check_k4_k5(DType::Q5_K, rng_); }

// Q6_K: element e = 128n + 32g + l (half n, group g, lane l) has its low
// 4 bits in ql[64n + l + 32(g%2)] (low nibble for g<2, high for g>=2), its
// top 2 bits in bits 2g..2g+1 of qh[32n + l], and scale scales[e/16].
TEST_F(DequantizeTest, Q6_K) {
  std::vector<uint8_t> block(210, 0);
  const float d = 0.015625f;
  std::array<int, 16> scale{};
  for (int s = 0; s < 16; ++s) {
    scale[s] = random_int(-128, 127);
    block[192 + s] = static_cast<uint8_t>(static_cast<int8_t>(scale[s]));
  }
  put_f16(&block[208], d);
  std::vector<double> expected(256);
  for (int e = 0; e < 256; ++e) {
    const int q = random_int(0, 63);
    const int n = e / 128, g = (e % 128) / 32, l = e % 32;
    const int ql_index = 64 * n + l + 32 * (g % 2);
    block[ql_index] |= static_cast<uint8_t>(g < 2 ? (q & 15) : (q & 15) << 4);
    block[128 + 32 * n + l] |= static_cast<uint8_t>((q >> 4) << (2 * g));
    expected[e] = static_cast<double>(d) * scale[e / 16] * (q - 32);
  }
  expect_close(decode(DType::Q6_K, block, 256), expected);
}

TEST_F(DequantizeTest, SeveralBlocksInARow) {
  std::vector<uint8_t> row(68, 0);
  put_f16(&row[0], 1.0f);
  put_f16(&row[34], 2.0f);
  row[2] = 3;
  row[36] = static_cast<uint8_t>(-4);
  const auto out = decode(DType::Q8_0, row, 64);
  EXPECT_EQ(out[0], 3.0f);
  EXPECT_EQ(out[32], -8.0f);
}

// ---- quantize_row --------------------------------------------------------

std::vector<float> round_trip(DType type, const std::vector<float>& x) {
  std::vector<uint8_t> encoded(dtype_row_bytes(type, static_cast<int64_t>(x.size())));
  EXPECT_TRUE(quantize_row(type, x.data(), encoded.data(), static_cast<int64_t>(x.size())));
  return decode(type, encoded, static_cast<int>(x.size()));
}

TEST_F(DequantizeTest, Q8_0ExactOnItsGrid) {
  std::vector<float> x(64);
  for (int e = 0; e < 64; ++e) x[e] = 0.25f * static_cast<float>(random_int(-127, 127));
  x[5] = 0.25f * 127;   // absmax 31.75 makes d = 0.25 exactly
  x[40] = -0.25f * 127;
  EXPECT_EQ(round_trip(DType::Q8_0, x), x);
}

TEST_F(DequantizeTest, QuantizeErrorBounds) {
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  std::vector<float> x(32 * 64);
  for (float& v : x) v = uniform(rng_);
  // Worst-case error per element, in units of the block's step d: half a
  // step for round-to-nearest, a full step where Q4_0/Q5_0 clip the end of
  // their asymmetric range; plus the f16 rounding of the scale.
  struct Case { DType type; int levels; double steps; };
  for (const Case& c : {Case{DType::Q8_0, 254, 0.5}, Case{DType::Q4_0, 16, 1.0}, Case{DType::Q4_1, 15, 0.5},
                        Case{DType::Q5_0, 32, 1.0}}) {
    const auto y = round_trip(c.type, x);
    for (size_t b = 0; b < x.size(); b += 32) {
      double lo = x[b], hi = x[b];
      for (size_t k = b; k < b + 32; ++k) lo = std::min<double>(lo, x[k]), hi = std::max<double>(hi, x[k]);
      const double range = c.type == DType::Q4_1 ? hi - lo : 2 * std::max(std::fabs(lo), std::fabs(hi));
      const double step = range / c.levels;
      for (size_t k = b; k < b + 32; ++k)
        ASSERT_LE(std::fabs(y[k] - x[k]), c.steps * step + 2e-3 * std::max(std::fabs(lo), std::fabs(hi)))
            << dtype_info(c.type).name << " element " << k;
    }
  }
}

// The rounding rules of ggml's reference quantizers, on hand-checked values.
TEST_F(DequantizeTest, Q4_0RoundingRule) {
  std::vector<float> x(32, 0.0f);
  x[0] = 4.0f;    // largest magnitude, positive: d = 4 / -8 = -0.5
  x[1] = -3.5f;   // -3.5 / -0.5 + 8.5 = 15.5 -> 15
  x[2] = 1.0f;    // -2 + 8.5 = 6.5 -> 6 (truncation, not rounding to even)
  x[3] = -0.3f;   // 0.6 + 8.5 = 9.1 -> 9
  std::vector<uint8_t> block(18);
  ASSERT_TRUE(quantize_row(DType::Q4_0, x.data(), block.data(), 32));
  EXPECT_EQ(f16_to_f32(static_cast<uint16_t>(block[0] | block[1] << 8)), -0.5f);
  EXPECT_EQ(block[2] & 15, 0);
  EXPECT_EQ(block[3] & 15, 15);
  EXPECT_EQ(block[4] & 15, 6);
  EXPECT_EQ(block[5] & 15, 9);
  EXPECT_EQ(block[6] & 15, 8);  // zero maps to the middle code
}

TEST_F(DequantizeTest, Q8_0RoundsHalfAwayFromZero) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  std::vector<uint8_t> block(34);
  ASSERT_TRUE(quantize_row(DType::Q8_0, x.data(), block.data(), 32));
  EXPECT_EQ(static_cast<int8_t>(block[3]), 3);
  EXPECT_EQ(static_cast<int8_t>(block[4]), -3);
}

TEST_F(DequantizeTest, PlainRoundTripsAndZeroBlocks) {
  std::vector<float> x = {0.5f, -1.0f, 3.0f, 1024.0f};
  EXPECT_EQ(round_trip(DType::F32, x), x);
  EXPECT_EQ(round_trip(DType::F16, x), x);
  EXPECT_EQ(round_trip(DType::BF16, x), x);
  const std::vector<float> zeros(32, 0.0f);
  for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0}) EXPECT_EQ(round_trip(type, zeros), zeros);
}

TEST_F(DequantizeTest, KQuantsAreNotEncoded) {
  std::vector<float> x(256, 1.0f);
  std::vector<uint8_t> out(210);
  EXPECT_FALSE(quantize_row(DType::Q4_K, x.data(), out.data(), 256));
  EXPECT_FALSE(quantize_row(DType::Q6_K, x.data(), out.data(), 256));
}

}  // namespace
}  // namespace keel
