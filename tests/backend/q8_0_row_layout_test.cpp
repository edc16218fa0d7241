// The CUDA backend's split Q8_0 row layout (src/backend/cuda/q8_0_row_layout.h)
// holds the same numbers as the GGUF rows it came from: decoding a split
// row by its offsets gives what the reference decoder gives for the stored
// row, row by row, in the same number of bytes. Plain C++: runs without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "backend/cuda/q8_0_row_layout.h"
#include "core/dequantize.h"
#include "core/dtype.h"
#include "core/half.h"

namespace keel {
namespace {

// Element k of a split row of `cols` elements, decoded by the layout's offsets.
float split_element(const std::byte* row, int64_t cols, int64_t k) {
  const int64_t block = k / cuda::kQ8_0BlockElems;
  uint16_t scale_bits = 0;
  std::memcpy(&scale_bits, row + cuda::q8_0_scale_offset(cols, block), 2);
  const auto value = static_cast<int8_t>(row[cuda::q8_0_values_offset(block) + k % cuda::kQ8_0BlockElems]);
  return static_cast<float>(value) * f16_to_f32(scale_bits);
}

TEST(Q8_0RowLayout, SplitRowsDecodeToTheStoredRows) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t cols : {32, 96, 256, 4096}) {
    const int64_t rows = 3;
    const size_t row_bytes = dtype_row_bytes(DType::Q8_0, cols);
    ASSERT_EQ(row_bytes, static_cast<size_t>(cols / 32 * cuda::kQ8_0BlockBytes));
    std::vector<std::byte> gguf(rows * row_bytes), split(rows * row_bytes);
    std::vector<float> row_values(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (float& v : row_values) v = normal(rng) * static_cast<float>(r + 1);
      ASSERT_TRUE(quantize_row(DType::Q8_0, row_values.data(), gguf.data() + r * row_bytes, cols));
    }
    cuda::split_q8_0_rows(gguf.data(), split.data(), rows, cols);
    std::vector<float> expected(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(DType::Q8_0, gguf.data() + r * row_bytes, expected.data(), cols);
      for (int64_t k = 0; k < cols; ++k)
        ASSERT_EQ(expected[k], split_element(split.data() + r * row_bytes, cols, k))
            << "row " << r << " element " << k << " of " << cols;
    }
  }
}

// Values first, scales after them: a row's values are one int8 array that
// starts where the row starts (16-byte aligned when row_bytes is).
TEST(Q8_0RowLayout, ValuesAreOneArrayAndScalesFollowThem) {
  const int64_t cols = 64;
  std::vector<std::byte> gguf(2 * 34), split(2 * 34);
  for (size_t i = 0; i < gguf.size(); ++i) gguf[i] = static_cast<std::byte>(i);
  cuda::split_q8_0_rows(gguf.data(), split.data(), 1, cols);
  for (int64_t k = 0; k < cols; ++k)
    EXPECT_EQ(split[k], gguf[(k / 32) * 34 + 2 + k % 32]) << "value " << k;
  EXPECT_EQ(split[64], gguf[0]);
  EXPECT_EQ(split[65], gguf[1]);
  EXPECT_EQ(split[66], gguf[34]);
  EXPECT_EQ(split[67], gguf[35]);
}

}  // namespace
}  // namespace keel
