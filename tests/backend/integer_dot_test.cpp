// The CPU backend's integer-dot path: activation rows quantized to int16
// blocks, and the integer panel kernels for Q8_0, Q4_0, Q4_1, Q5_0, Q4_K,
// Q5_K and Q6_K weights — the AVX2 kernel bit for bit against the portable one, both
// against float64 sums of the decoded operands, and a token's result the
// same bits whatever else is in its batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/integer_dot.h"
#include "backend/cpu/quantized_activations.h"
#include "core/dequantize.h"
#include "random_floats.h"

namespace keel {
namespace {

using cpu::ActivationBlock;
using testing::random_floats;

constexpr DType kIntegerTypes[] = {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                                   DType::Q4_K, DType::Q5_K, DType::Q6_K};

bool is_k_quant(DType type) { return dtype_info(type).block_elems == 256; }

std::vector<ActivationBlock> quantized(const std::vector<float>& x) {
  std::vector<ActivationBlock> blocks(x.size() / ActivationBlock::kElems);
  cpu::quantize_row_int16(x.data(), static_cast<int64_t>(x.size()), blocks.data());
  return blocks;
}

TEST(QuantizeRowInt16, ValuesWithinHalfAScale) {
  std::vector<float> x = random_floats(32 * 6, 1, 3.0f);
  for (int k = 32; k < 64; ++k) x[k] = 0.0f;      // an all-zero block
  x[70] = -1000.0f;                                // a block dominated by one negative value
  const std::vector<ActivationBlock> blocks = quantized(x);
  for (size_t b = 0; b < blocks.size(); ++b) {
    float amax = 0;
    int32_t sum = 0;
    for (int k = 0; k < 32; ++k) amax = std::max(amax, std::fabs(x[b * 32 + k]));
    EXPECT_EQ(blocks[b].scale, amax / 32767.0f) << "block " << b;
    for (int k = 0; k < 32; ++k) {
      const int q = blocks[b].values[k];
      EXPECT_GE(q, -32767);
      EXPECT_LE(q, 32767);
      // Within half a step, allowing the float rounding of x / s.
      EXPECT_LE(std::fabs(x[b * 32 + k] - blocks[b].scale * q), blocks[b].scale * 0.5f * (1 + 1e-5f))
          << "block " << b << " element " << k;
      sum += q;
    }
    EXPECT_EQ(blocks[b].scaled_sum, blocks[b].scale * static_cast<float>(sum));
  }
  EXPECT_EQ(blocks[1].scale, 0.0f);
  for (int k = 0; k < 32; ++k) EXPECT_EQ(blocks[1].values[k], 0);
  EXPECT_EQ(blocks[2].values[70 - 64], -32767);  // the block's largest magnitude maps to ±32767 exactly
}

// A weight row of `blocks` blocks of `type`, quantized from random floats;
// Q8_0 rows also hold -128 (legal in a file, though keel's quantizer never
// writes it), the value whose magnitude is 128: with activations of ±32767
// it makes the largest lane sums (the header's 2^24 argument).
// keel writes no K-quants, so their rows are random bytes with the
// super-block's f16 scales (d, and Q4_K/Q5_K's dmin) set to moderate
// values: every 6-bit scale and minimum, nibble, fifth bit and (for Q6_K)
// int8 sub-block scale, the extremes included, occurs.
std::vector<std::byte> k_quant_rows(DType type, int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  const int64_t super_bytes = dtype_info(type).block_bytes;
  std::vector<std::byte> bytes(static_cast<size_t>(rows) * dtype_row_bytes(type, cols));
  for (auto& b : bytes) b = static_cast<std::byte>(rng() & 0xFF);
  for (size_t super = 0; super < bytes.size() / super_bytes; ++super) {
    std::byte* block = bytes.data() + super * super_bytes;
    const auto set_f16 = [&](int64_t at) {
      const uint16_t bits = static_cast<uint16_t>(0x1C00 + rng() % 0x0800);  // 2^-8 .. 2^-6
      std::memcpy(block + at, &bits, 2);
    };
    if (type == DType::Q6_K) {
      set_f16(208);
    } else {
      set_f16(0);
      set_f16(2);
    }
  }
  return bytes;
}

std::vector<std::byte> weight_rows(DType type, int64_t rows, int64_t cols, uint32_t seed) {
  if (is_k_quant(type)) return k_quant_rows(type, rows, cols, seed);
  const std::vector<float> values = random_floats(static_cast<size_t>(rows * cols), seed, 0.5f);
  const size_t row_bytes = dtype_row_bytes(type, cols);
  std::vector<std::byte> bytes(static_cast<size_t>(rows) * row_bytes);
  for (int64_t r = 0; r < rows; ++r)
    EXPECT_TRUE(quantize_row(type, values.data() + r * cols, bytes.data() + r * row_bytes, cols));
  if (type == DType::Q8_0)
    for (int64_t r = 0; r < rows; ++r) bytes[r * row_bytes + 2 + static_cast<size_t>(r)] = std::byte{0x80};
  return bytes;
}

// Both kernels against Σ over blocks of (decoded w) · (s·q), in float64:
// the integer path computes the product of the stored weight and the
// quantized activation, up to float rounding of the per-block partial sums.
// And: the AVX2 kernel gives the portable kernel's bits, for 1..4 rows and
// 1..5 or 17 tokens (its two-token and its widened-panel paths), and a
// token's bits do not depend on its batch.
TEST(IntegerPanelKernel, Avx2MatchesPortableBitForBitAndBothMatchFloat64) {
  const int64_t blocks = 8, cols = blocks * 32, x_stride = blocks + 3, y_stride = 6;
  const int64_t kMaxTokens = 17;  // enough for the AVX2 kernel's widened-panel (prefill) path
  for (const DType type : kIntegerTypes) {
    SCOPED_TRACE(dtype_info(type).name);
    const size_t row_bytes = dtype_row_bytes(type, cols);
    const std::vector<std::byte> w = weight_rows(type, 4, cols, 2);
    std::vector<float> x = random_floats(static_cast<size_t>(kMaxTokens * x_stride * 32), 3);
    for (int64_t k = 0; k < 4; ++k) x[static_cast<size_t>(k)] = -100.0f;  // token 0's block 0: values of -32767
    const std::vector<ActivationBlock> xq = quantized(x);
    std::vector<cpu::IntegerPanelKernel> kernels = {cpu::integer_panel_kernel_portable(type)};
    if (cpu_features().avx2 && cpu::integer_panel_kernel_avx2(type) != nullptr)
      kernels.push_back(cpu::integer_panel_kernel_avx2(type));
    std::vector<float> decoded(static_cast<size_t>(cols));
    for (int64_t n_rows = 1; n_rows <= 4; ++n_rows) {
      cpu::IntegerPanel panel;
      panel.n_rows = n_rows;
      panel.blocks = blocks;
      for (int64_t r = 0; r < n_rows; ++r) panel.rows[r] = w.data() + r * row_bytes;
      for (const int64_t tokens : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5}, kMaxTokens}) {
        std::vector<std::vector<float>> results;
        for (const cpu::IntegerPanelKernel kernel : kernels) {
          std::vector<float> y(static_cast<size_t>(tokens * y_stride), 1.0f);  // accumulates onto 1.0
          kernel(panel, xq.data(), x_stride, tokens, y.data(), y_stride);
          for (int64_t t = 0; t < tokens; ++t) {
            std::vector<float> alone(static_cast<size_t>(y_stride), 1.0f);
            kernel(panel, xq.data() + t * x_stride, x_stride, 1, alone.data(), y_stride);
            for (int64_t r = 0; r < y_stride; ++r)
              EXPECT_EQ(alone[r], y[t * y_stride + r]) << "token " << t << " of " << tokens << " row " << r;
          }
          results.push_back(y);
        }
        for (size_t k = 1; k < results.size(); ++k)
          for (size_t i = 0; i < results[0].size(); ++i)
            ASSERT_EQ(std::memcmp(&results[k][i], &results[0][i], sizeof(float)), 0)
                << "rows " << n_rows << " tokens " << tokens << " element " << i << ": AVX2 " << results[k][i]
                << ", portable " << results[0][i];
        for (int64_t r = 0; r < y_stride; ++r)
          for (int64_t t = 0; t < tokens; ++t) {
            double expected = 1.0, magnitude = 1.0;
            if (r < n_rows) {
              dequantize_row(type, w.data() + r * row_bytes, decoded.data(), cols);
              for (int64_t b = 0; b < blocks; ++b)
                for (int64_t k = 0; k < 32; ++k) {
                  const ActivationBlock& xb = xq[static_cast<size_t>(t * x_stride + b)];
                  const double term = static_cast<double>(decoded[b * 32 + k]) * xb.scale * xb.values[k];
                  expected += term;
                  magnitude += std::fabs(term);
                }
            }
            EXPECT_NEAR(results[0][t * y_stride + r], expected, 1e-6 * magnitude) << "row " << r << " token " << t;
          }
      }
    }
  }
}

// The row kernel against the panel kernel of the same family: each of four
// rows, read end to end (two whole panels of 8 blocks and a partial one of
// 3), against 1 to 7 tokens (its one-, two- and four-token paths), gets
// for every token the bits the panel kernel gives it panel by panel — so a
// few sequences decoded together and the same tokens in a larger batch
// agree.
TEST(IntegerRowKernel, GivesEachRowThePanelKernelsBits) {
  const int64_t panel_blocks = 8, x_stride = 26, y_stride = 5;
  for (const DType type : kIntegerTypes) {
    SCOPED_TRACE(dtype_info(type).name);
    const int64_t blocks = is_k_quant(type) ? 24 : 19, cols = blocks * 32;  // K-quants: whole super-blocks
    const size_t row_bytes = dtype_row_bytes(type, cols);
    const std::vector<std::byte> w = weight_rows(type, 4, cols, 7);
    std::vector<float> x = random_floats(static_cast<size_t>(7 * x_stride * 32), 8);
    x[40] = -50.0f;  // a block with a value of -32767
    const std::vector<ActivationBlock> xq = quantized(x);
    std::vector<std::pair<cpu::IntegerPanelKernel, cpu::IntegerRowKernel>> families = {
        {cpu::integer_panel_kernel_portable(type), cpu::integer_row_kernel_portable(type)}};
    if (cpu_features().avx2 && cpu::integer_row_kernel_avx2(type) != nullptr)
      families.push_back({cpu::integer_panel_kernel_avx2(type), cpu::integer_row_kernel_avx2(type)});
    for (int64_t tokens = 1; tokens <= 7; ++tokens) {
      SCOPED_TRACE(tokens);
      std::vector<float> first_family;
      for (const auto& [panel_kernel, row_kernel] : families) {
        ASSERT_NE(row_kernel, nullptr);
        std::vector<float> by_panel(static_cast<size_t>(tokens * y_stride), 0.5f), by_row(by_panel);
        for (int64_t first = 0; first < blocks; first += panel_blocks) {
          cpu::IntegerPanel panel;
          panel.n_rows = 4;
          panel.blocks = std::min(panel_blocks, blocks - first);
          for (int64_t r = 0; r < 4; ++r)
            panel.rows[r] = w.data() + r * row_bytes + dtype_row_bytes(type, first * 32);
          panel_kernel(panel, xq.data() + first, x_stride, tokens, by_panel.data(), y_stride);
        }
        for (int64_t r = 0; r < 4; ++r)
          row_kernel(w.data() + r * row_bytes, blocks, panel_blocks, xq.data(), x_stride, tokens, &by_row[r], y_stride);
        for (size_t i = 0; i < by_row.size(); ++i)
          EXPECT_EQ(std::memcmp(&by_row[i], &by_panel[i], sizeof(float)), 0)
              << "element " << i << ": row kernel " << by_row[i] << ", panel kernel " << by_panel[i];
        if (first_family.empty()) first_family = by_row;
        else
          for (size_t i = 0; i < by_row.size(); ++i)
            EXPECT_EQ(std::memcmp(&by_row[i], &first_family[i], sizeof(float)), 0) << "element " << i << ": AVX2 vs portable";
      }
    }
  }
}

TensorView matrix_view(DType type, int64_t out, int64_t in, const std::vector<std::byte>& bytes) {
  TensorView view;
  view.dtype = type;
  view.rank = 2;
  view.shape = {out, in};
  view.data = bytes.data();
  view.nbytes = bytes.size();
  return view;
}

// Through CpuBackend::matmul (tasks, panels of 256 columns, a partial
// panel, a partial group of four rows): each token row of a batch of 19 gets
// exactly the bits it gets alone, and the exact path differs from the fast
// one (the flag does choose the kernel) by no more than the activations'
// quantization allows.
TEST(IntegerMatmul, BatchInvariantAndWithinQuantizationOfTheExactPath) {
  const int64_t max_in = 1024, out = 37, tokens = 19;  // past the AVX2 kernel's widened-panel threshold
  CpuBackend fast, exact(CpuOptions{.exact_kernels = true});
  ASSERT_TRUE(fast.reserve_matmul_input(tokens, max_in).ok());
  const std::vector<float> bias = random_floats(static_cast<size_t>(out), 5);
  for (const DType type : kIntegerTypes) {
    SCOPED_TRACE(dtype_info(type).name);
    const int64_t in = is_k_quant(type) ? 1024 : 800;  // a partial panel where the blocks allow one
    const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), 4);
    const std::vector<std::byte> w = weight_rows(type, out, in, 6);
    const TensorView view = matrix_view(type, out, in, w);
    std::vector<float> batched(static_cast<size_t>(tokens * out)), exact_y(batched.size());
    fast.matmul(x.data(), tokens, view, bias.data(), batched.data());
    exact.matmul(x.data(), tokens, view, bias.data(), exact_y.data());
    std::vector<float> decoded(static_cast<size_t>(in));
    bool any_difference = false;
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> alone(static_cast<size_t>(out));
      fast.matmul(x.data() + t * in, 1, view, bias.data(), alone.data());
      for (int64_t r = 0; r < out; ++r) {
        EXPECT_EQ(alone[r], batched[t * out + r]) << "token " << t << " row " << r;
        // |Σ w·(x - s·q)| ≤ Σ |w| · s/2 over each block.
        dequantize_row(type, view.row(r), decoded.data(), in);
        const std::vector<ActivationBlock> xq = quantized(std::vector<float>(x.begin() + t * in, x.begin() + (t + 1) * in));
        double bound = 1e-4 * (1.0 + std::fabs(exact_y[t * out + r]));
        for (int64_t k = 0; k < in; ++k) bound += std::fabs(decoded[k]) * xq[k / 32].scale * 0.5;
        EXPECT_LE(std::fabs(batched[t * out + r] - exact_y[t * out + r]), bound) << "token " << t << " row " << r;
        any_difference = any_difference || batched[t * out + r] != exact_y[t * out + r];
      }
    }
    EXPECT_TRUE(any_difference) << "the fast path should not be the exact path";
  }
}

// The float path (every type on the exact kernels; F16 and BF16 on
// either; one row decoder per type, so the encodable types stand for all):
// a token alone, read row by row, gets the bits it gets in a batch
// of 5, read four rows at a time — over a partial last panel and a partial
// group of rows.
TEST(FloatMatmul, OneTokenRowByRowGivesTheBatchsBits) {
  const int64_t in = 1280 + 256, out = 37, tokens = 5;
  CpuBackend exact(CpuOptions{.exact_kernels = true});
  const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), 13);
  for (const DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0}) {
    SCOPED_TRACE(dtype_info(type).name);
    const bool float_type = type == DType::F32 || type == DType::F16 || type == DType::BF16;
    const int64_t cols = float_type ? in - 19 : in;  // float types: a partial vector too
    const std::vector<std::byte> w = weight_rows(type, out, cols, 14);
    const TensorView view = matrix_view(type, out, cols, w);
    std::vector<float> xs(static_cast<size_t>(tokens * cols));
    for (int64_t t = 0; t < tokens; ++t) std::copy_n(x.begin() + t * in, cols, xs.begin() + t * cols);
    std::vector<float> batched(static_cast<size_t>(tokens * out));
    exact.matmul(xs.data(), tokens, view, nullptr, batched.data());
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> alone(static_cast<size_t>(out));
      exact.matmul(xs.data() + t * cols, 1, view, nullptr, alone.data());
      for (int64_t r = 0; r < out; ++r) EXPECT_EQ(alone[r], batched[t * out + r]) << "token " << t << " row " << r;
    }
  }
}

TEST(IntegerMatmulDeathTest, AnInputLargerThanReservedIsAProgrammerError) {
  const int64_t in = 64, out = 4;
  CpuBackend fast;
  ASSERT_TRUE(fast.reserve_matmul_input(1, in).ok());
  const std::vector<std::byte> w = weight_rows(DType::Q8_0, out, in, 7);
  const std::vector<float> x = random_floats(static_cast<size_t>(2 * in), 8);
  std::vector<float> y(2 * out);
  EXPECT_DEATH(fast.matmul(x.data(), 2, matrix_view(DType::Q8_0, out, in, w), nullptr, y.data()),
               "reserve_matmul_input");
}

}  // namespace
}  // namespace keel
