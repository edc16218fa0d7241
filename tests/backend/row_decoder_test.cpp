// The CPU backend's AVX2 weight decoders against core's portable codec, bit
// for bit, and cpu::row_decoder's choice between them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/dequantize_avx2.h"
#include "backend/cpu/row_decoder.h"
#include "core/dequantize.h"
#include "core/half.h"

namespace keel {
namespace {

void put_f16(uint8_t* p, float value) {
  const uint16_t bits = f32_to_f16(value);
  std::memcpy(p, &bits, 2);
}

class RowDecoderTest : public ::testing::Test {
 protected:
  int random_int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  std::mt19937 rng_{1234};
};

// The AVX2 decoders write exactly what the portable ones write: every f16
// and bf16 bit pattern, and random Q8_0 / Q4_0 / Q4_K / Q5_K / Q6_K blocks
// with finite scales, in rows whose lengths leave vector tails and at odd
// byte offsets (rows in a memory-mapped file are not aligned).
TEST_F(RowDecoderTest, VectorDecodersMatchPortableBitForBit) {
  if (!cpu_features().avx2) GTEST_SKIP() << "this CPU has no AVX2/FMA/F16C";
  const auto same_bits = [](const std::vector<float>& a, const std::vector<float>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t e = 0; e < a.size(); ++e) {
      if (std::isnan(a[e]) || std::isnan(b[e])) {
        EXPECT_TRUE(std::isnan(a[e]) && std::isnan(b[e])) << "element " << e;
      } else {
        EXPECT_EQ(std::memcmp(&a[e], &b[e], sizeof(float)), 0) << "element " << e << ": " << a[e] << " vs " << b[e];
      }
    }
  };
  const auto compare = [&](DType type, const std::vector<uint8_t>& bytes, int64_t n) {
    std::vector<uint8_t> shifted(bytes.size() + 1);
    std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
    std::vector<float> vector_out(static_cast<size_t>(n)), portable_out(static_cast<size_t>(n));
    const RowDecoder vector_decoder = avx2_row_decoder(type);
    ASSERT_NE(vector_decoder, nullptr) << dtype_info(type).name;
    vector_decoder(shifted.data() + 1, vector_out.data(), n);
    portable_row_decoder(type)(bytes.data(), portable_out.data(), n);
    same_bits(vector_out, portable_out);
  };
  // Every 16-bit pattern, as f16 and as bf16, in a row of 65,536 + 7.
  std::vector<uint8_t> halves(2 * (65536 + 7));
  for (uint32_t k = 0; k < 65536 + 7; ++k) {
    const uint16_t bits = static_cast<uint16_t>(k);
    std::memcpy(&halves[2 * k], &bits, 2);
  }
  compare(DType::F16, halves, 65536 + 7);
  compare(DType::BF16, halves, 65536 + 7);
  // Random bytes, with finite f16 values where each layout keeps its
  // scales (d, and dmin for Q4_K/Q5_K; d is last in Q6_K).
  const std::vector<std::pair<DType, std::vector<int>>> blocks_and_scales = {
      {DType::Q8_0, {0}}, {DType::Q4_0, {0}}, {DType::Q4_K, {0, 2}}, {DType::Q5_K, {0, 2}}, {DType::Q6_K, {208}}};
  for (const auto& [type, scale_offsets] : blocks_and_scales) {
    const DTypeInfo& info = dtype_info(type);
    const int64_t blocks = 67;
    std::vector<uint8_t> row(static_cast<size_t>(blocks) * info.block_bytes);
    for (uint8_t& byte : row) byte = static_cast<uint8_t>(random_int(0, 255));
    for (int64_t b = 0; b < blocks; ++b)
      for (const int offset : scale_offsets)
        put_f16(&row[static_cast<size_t>(b) * info.block_bytes + offset],
                std::ldexp(static_cast<float>(random_int(-1000, 1000)), random_int(-20, 4)));
    compare(type, row, blocks * info.block_elems);
  }
}

TEST_F(RowDecoderTest, ChoosesTheVectorDecoderWhereTheCpuHasOne) {
  for (DType type : {DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const RowDecoder expected = cpu_features().avx2 ? avx2_row_decoder(type) : portable_row_decoder(type);
    EXPECT_EQ(cpu::row_decoder(type), expected) << dtype_info(type).name;
  }
  // Types without a vector decoder fall back to the portable one.
  EXPECT_EQ(cpu::row_decoder(DType::Q4_1), portable_row_decoder(DType::Q4_1));
}

}  // namespace
}  // namespace keel
