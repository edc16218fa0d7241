// The CPU backend's panel kernels against float64 dot products.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "random_floats.h"
#include "backend/cpu/panel_dot.h"
#include "backend/cpu/row_decoder.h"
#include "core/half.h"

namespace keel {
namespace {

using testing::random_floats;

// Both panel kernels (AVX2 where the CPU has it, and the portable one) add
// the same dot products into y, for every token count from 1 to 7 and
// every partial row count, with a column tail that is not a whole vector;
// and a token's result is bit-identical whatever else is in the batch.
TEST(PanelDotTest, KernelsMatchFloat64Dots) {
  const int64_t cols = 269, x_stride = 300, y_stride = 6;
  const std::vector<float> w = random_floats(static_cast<size_t>(4 * cols), 9);
  const std::vector<float> x = random_floats(static_cast<size_t>(7 * x_stride), 10);
  using Kernel = void (*)(const cpu::Panel&, const float*, int64_t, int64_t, float*, int64_t);
  for (const Kernel kernel : {&cpu::accumulate_panel_portable, &cpu::accumulate_panel_avx2}) {
    for (int64_t n_rows = 1; n_rows <= 4; ++n_rows) {
      for (int64_t tokens = 1; tokens <= 7; ++tokens) {
        cpu::Panel panel;
        panel.n_rows = n_rows;
        panel.cols = cols;
        for (int64_t r = 0; r < n_rows; ++r) panel.rows[r] = w.data() + r * cols;
        std::vector<float> y(static_cast<size_t>(tokens * y_stride), 1.0f);  // accumulates onto 1.0
        kernel(panel, x.data(), x_stride, tokens, y.data(), y_stride);
        for (int64_t t = 0; t < tokens; ++t) {
          for (int64_t r = 0; r < y_stride; ++r) {
            double expected = 1.0;
            if (r < n_rows)
              for (int64_t k = 0; k < cols; ++k) expected += static_cast<double>(w[r * cols + k]) * x[t * x_stride + k];
            EXPECT_NEAR(y[t * y_stride + r], expected, 1e-4) << "rows " << n_rows << " tokens " << tokens;
          }
          // Bit for bit what the token gets when it is the whole batch.
          std::vector<float> alone(static_cast<size_t>(y_stride), 1.0f);
          kernel(panel, x.data() + t * x_stride, x_stride, 1, alone.data(), y_stride);
          for (int64_t r = 0; r < y_stride; ++r)
            EXPECT_EQ(alone[r], y[t * y_stride + r]) << "token " << t << " of " << tokens << " row " << r;
        }
      }
    }
  }
}

// The one-token read of a row (accumulate_row_segments): a row's 1–4
// consecutive panels, each with a column tail that is not a whole vector,
// give y exactly what the panel kernel of the same family gives that row
// panel by panel — so a token decoded alone, row by row, gets the bits it
// gets in a batch.
TEST(PanelDotTest, RowSegmentsGiveThePanelKernelsBits) {
  const int64_t cols = 269, segments_max = 4;
  const std::vector<float> row = random_floats(static_cast<size_t>(segments_max * cols), 11);
  const std::vector<float> x = random_floats(static_cast<size_t>(segments_max * cols), 12);
  using PanelKernel = void (*)(const cpu::Panel&, const float*, int64_t, int64_t, float*, int64_t);
  using RowKernel = void (*)(const cpu::Panel&, const float*, float*);
  const std::pair<PanelKernel, RowKernel> families[] = {
      {&cpu::accumulate_panel_portable, &cpu::accumulate_row_segments_portable},
      {&cpu::accumulate_panel_avx2, &cpu::accumulate_row_segments_avx2}};
  for (const auto& [panel_kernel, row_kernel] : families) {
    for (int64_t n_segments = 1; n_segments <= segments_max; ++n_segments) {
      float by_panel = 0.25f, by_row = 0.25f;
      for (int64_t i = 0; i < n_segments; ++i) {
        cpu::Panel panel;
        panel.n_rows = 1;
        panel.cols = cols;
        panel.rows[0] = row.data() + i * cols;
        panel_kernel(panel, x.data() + i * cols, cols, 1, &by_panel, 1);
      }
      cpu::Panel segments;
      segments.n_rows = n_segments;
      segments.cols = cols;
      for (int64_t i = 0; i < n_segments; ++i) segments.rows[i] = row.data() + i * cols;
      row_kernel(segments, x.data(), &by_row);
      EXPECT_EQ(by_row, by_panel) << n_segments << " segments";
      double expected = 0.25;
      for (int64_t k = 0; k < n_segments * cols; ++k) expected += static_cast<double>(row[k]) * x[k];
      EXPECT_NEAR(by_row, expected, 1e-4);
    }
  }
}

// The one-token read of f16 and bf16 rows as stored, converted in
// registers, gives the bits of decoding the same segments to float32 and
// reading those: what lets a one-token step skip the decode buffer without
// a token's result depending on the path.
TEST(PanelDotTest, SixteenBitRowSegmentsGiveTheDecodedRowsBits) {
  if (!cpu::can_read_16bit_row_segments_in_registers()) GTEST_SKIP() << "needs AVX2 and keel's x86 kernels";
  const int64_t cols = 264, segments_max = 4;  // whole vectors, not whole panels
  const std::vector<float> values = random_floats(static_cast<size_t>(segments_max * cols), 13);
  const std::vector<float> x = random_floats(static_cast<size_t>(segments_max * cols), 14);
  for (const DType type : {DType::F16, DType::BF16}) {
    std::vector<uint16_t> stored(values.size());
    for (size_t k = 0; k < values.size(); ++k)
      stored[k] = type == DType::F16 ? f32_to_f16(values[k]) : f32_to_bf16(values[k]);
    std::vector<float> decoded(values.size());
    cpu::row_decoder(type)(stored.data(), decoded.data(), static_cast<int64_t>(decoded.size()));
    const auto* bytes = reinterpret_cast<const std::byte*>(stored.data());
    for (int64_t n_segments = 1; n_segments <= segments_max; ++n_segments) {
      cpu::Panel segments;
      cpu::StoredSegments as_stored;
      segments.n_rows = as_stored.n_rows = n_segments;
      segments.cols = as_stored.cols = cols;
      as_stored.bf16 = type == DType::BF16;
      for (int64_t i = 0; i < n_segments; ++i) {
        segments.rows[i] = decoded.data() + i * cols;
        as_stored.rows[i] = bytes + 2 * i * cols;
      }
      float from_decoded = 0.5f, from_stored = 0.5f;
      cpu::accumulate_row_segments_avx2(segments, x.data(), &from_decoded);
      cpu::accumulate_16bit_row_segments_avx2(as_stored, x.data(), &from_stored);
      EXPECT_EQ(from_stored, from_decoded) << dtype_info(type).name << ", " << n_segments << " segments";
      double expected = 0.5;
      for (int64_t k = 0; k < n_segments * cols; ++k) expected += static_cast<double>(decoded[k]) * x[k];
      EXPECT_NEAR(from_stored, expected, 1e-4);
    }
  }
}

}  // namespace
}  // namespace keel
