// The CUDA backend's split row layout of Q8_0 and Q6_K
// (src/backend/cuda/split_row_layout.h) holds the same numbers as the GGUF
// rows it came from: decoding a split row by its offsets gives what the
// reference decoder gives for the stored row, row by row, in the same
// number of bytes. Plain C++: runs without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "backend/cuda/split_row_layout.h"
#include "core/dequantize.h"
#include "core/dtype.h"
#include "core/half.h"

namespace keel {
namespace {

using cuda::kQ6_KBlockBytes;
using cuda::kQ8_0BlockBytes;

float f16_at(const std::byte* p) {
  uint16_t bits = 0;
  std::memcpy(&bits, p, 2);
  return f16_to_f32(bits);
}

// Element k of a split Q8_0 row of `cols` elements, by the layout's offsets.
float split_q8_0_element(const std::byte* row, int64_t cols, int64_t k) {
  const int64_t block = k / 32;
  const auto value = static_cast<int8_t>(row[cuda::split_body_offset(kQ8_0BlockBytes, block) + k % 32]);
  return static_cast<float>(value) * f16_at(row + cuda::split_scale_offset(kQ8_0BlockBytes, cols / 32, block));
}

// Element k of a split Q6_K row: the GGUF formula on the block's body, d from the scales.
float split_q6_k_element(const std::byte* row, int64_t cols, int64_t k) {
  const int64_t block = k / 256;
  const auto* body = reinterpret_cast<const uint8_t*>(row + cuda::split_body_offset(kQ6_KBlockBytes, block));
  const float d = f16_at(row + cuda::split_scale_offset(kQ6_KBlockBytes, cols / 256, block));
  const int64_t s = (k % 256) / 32, l = k % 32, n = s / 4, j = s % 4;
  const int low = (body[64 * n + 32 * (j & 1) + l] >> (4 * (j >> 1))) & 0xF;
  const int high = (body[128 + 32 * n + l] >> (2 * j)) & 3;
  const auto scale = static_cast<int8_t>(body[192 + 8 * n + 2 * j + l / 16]);
  return d * static_cast<float>(scale) * static_cast<float>((low | (high << 4)) - 32);
}

std::vector<std::byte> random_bytes(size_t n, std::mt19937& rng) {
  std::vector<std::byte> bytes(n);
  for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xFF);
  return bytes;
}

TEST(SplitRowLayout, Q8_0RowsDecodeToTheStoredRows) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t cols : {32, 96, 256, 4096}) {
    const int64_t rows = 3;
    const size_t row_bytes = dtype_row_bytes(DType::Q8_0, cols);
    ASSERT_EQ(row_bytes, static_cast<size_t>(cols / 32 * kQ8_0BlockBytes));
    std::vector<std::byte> gguf(rows * row_bytes), split(rows * row_bytes);
    std::vector<float> row_values(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row_values) v = normal(rng) * static_cast<float>(r + 1);
      ASSERT_TRUE(quantize_row(DType::Q8_0, row_values.data(), gguf.data() + r * row_bytes, cols));
    }
    cuda::split_block_rows(kQ8_0BlockBytes, cuda::kQ8_0ScaleAt, gguf.data(), split.data(), rows, cols / 32);
    std::vector<float> expected(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(DType::Q8_0, gguf.data() + r * row_bytes, expected.data(), cols);
      for (int64_t k = 0; k < cols; ++k)
        ASSERT_EQ(expected[k], split_q8_0_element(split.data() + r * row_bytes, cols, k))
            << "row " << r << " element " << k << " of " << cols;
    }
  }
}

TEST(SplitRowLayout, Q6_KRowsDecodeToTheStoredRows) {
  std::mt19937 rng(11);
  for (int64_t cols : {256, 768, 2048}) {
    const int64_t rows = 3;
    const size_t row_bytes = dtype_row_bytes(DType::Q6_K, cols);
    ASSERT_EQ(row_bytes, static_cast<size_t>(cols / 256 * kQ6_KBlockBytes));
    std::vector<std::byte> gguf = random_bytes(rows * row_bytes, rng), split(rows * row_bytes);
    for (int64_t b = 0; b < rows * cols / 256; ++b) {  // a finite, moderate d in every block
      const uint16_t d = 0x2000 + static_cast<uint16_t>(rng() % 0x1000);
      std::memcpy(gguf.data() + b * kQ6_KBlockBytes + cuda::kQ6_KScaleAt, &d, 2);
    }
    cuda::split_block_rows(kQ6_KBlockBytes, cuda::kQ6_KScaleAt, gguf.data(), split.data(), rows, cols / 256);
    std::vector<float> expected(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(DType::Q6_K, gguf.data() + r * row_bytes, expected.data(), cols);
      for (int64_t k = 0; k < cols; ++k)
        ASSERT_EQ(expected[k], split_q6_k_element(split.data() + r * row_bytes, cols, k))
            << "row " << r << " element " << k << " of " << cols;
    }
  }
}

// Bodies first, scales after them: a Q8_0 row's values are one int8 array
// that starts where the row starts (16-byte aligned when row_bytes is).
TEST(SplitRowLayout, BodiesComeFirstAndScalesFollowThem) {
  const int64_t cols = 64;
  std::vector<std::byte> gguf(2 * 34), split(2 * 34);
  for (size_t i = 0; i < gguf.size(); ++i) gguf[i] = static_cast<std::byte>(i);
  cuda::split_block_rows(kQ8_0BlockBytes, cuda::kQ8_0ScaleAt, gguf.data(), split.data(), 1, cols / 32);
  for (int64_t k = 0; k < cols; ++k) EXPECT_EQ(split[k], gguf[(k / 32) * 34 + 2 + k % 32]) << "value " << k;
  EXPECT_EQ(split[64], gguf[0]);
  EXPECT_EQ(split[65], gguf[1]);
  EXPECT_EQ(split[66], gguf[34]);
  EXPECT_EQ(split[67], gguf[35]);
}

}  // namespace
}  // namespace keel
