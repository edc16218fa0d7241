// Every backend's ops against direct formulas written out in the test: the
// reference backend (the oracle the parity suite trusts) and the CPU
// backend alike.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <tuple>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "backend/forward_batch_builder.h"
#include "backend/registry.h"
#include "core/dequantize.h"
#include "random_floats.h"

namespace keel {
namespace {

// One of each backend this build has but the GPU ones (tests/backend's
// parity suite holds those to the reference). The CPU backend runs its
// exact kernels: these are exactness tests (its fast integer-dot path is
// held to its own bound in integer_dot_test and the parity suite).
std::vector<std::unique_ptr<Backend>> host_backends() {
  std::vector<std::unique_ptr<Backend>> out;
  for (const char* device : {"reference", "cpu"})
    out.push_back(create_backend(device, BackendOptions{.exact_kernels = true}).value());
  return out;
}

using testing::random_floats;

// Rotation written straight from the definition: pair (a, b) turns by
// theta = position * base^(-2j / rotary_dims).
void reference_rope(std::vector<float>& x, int64_t heads, int64_t hd, int64_t rotary, int32_t position,
                    double base, bool neox) {
  for (int64_t h = 0; h < heads; ++h) {
    float* head = x.data() + h * hd;
    for (int64_t j = 0; j < rotary / 2; ++j) {
      const double theta = position * std::pow(base, -2.0 * j / rotary);
      const int64_t ia = neox ? j : 2 * j;
      const int64_t ib = neox ? j + rotary / 2 : 2 * j + 1;
      const double a = head[ia], b = head[ib];
      head[ia] = static_cast<float>(a * std::cos(theta) - b * std::sin(theta));
      head[ib] = static_cast<float>(b * std::cos(theta) + a * std::sin(theta));
    }
  }
}

struct RopeCase {
  RopeStyle style;
  int64_t head_dim;
  int64_t rotary_dims;
};

class RopeTest : public ::testing::TestWithParam<RopeCase> {};

TEST_P(RopeTest, MatchesDirectFormula) {
  const RopeCase param = GetParam();
  const int64_t heads = 3, tokens = 4;
  const double base = 10000.0;
  for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
    std::vector<float> inv(static_cast<size_t>(param.rotary_dims / 2));
    for (size_t j = 0; j < inv.size(); ++j)
      inv[j] = static_cast<float>(std::pow(base, -2.0 * static_cast<double>(j) / param.rotary_dims));
    const std::vector<int32_t> positions = {0, 1, 7, 100};
    std::vector<float> x = random_floats(static_cast<size_t>(tokens * heads * param.head_dim), 1);
    std::vector<float> expected = x;
    backend->rope(x.data(), tokens, heads, param.head_dim, positions.data(), {param.style, param.rotary_dims, inv.data()});
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> token(expected.begin() + t * heads * param.head_dim,
                               expected.begin() + (t + 1) * heads * param.head_dim);
      reference_rope(token, heads, param.head_dim, param.rotary_dims, positions[t], base,
                     param.style == RopeStyle::kNeox);
      for (size_t i = 0; i < token.size(); ++i)
        EXPECT_NEAR(x[t * heads * param.head_dim + i], token[i], 2e-4) << "token " << t << " element " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, RopeTest,
                         ::testing::Values(RopeCase{RopeStyle::kNeox, 16, 16},
                                           RopeCase{RopeStyle::kInterleaved, 16, 16},
                                           RopeCase{RopeStyle::kInterleaved, 16, 8},  // GLM partial rotary
                                           RopeCase{RopeStyle::kNeox, 32, 16}));

TEST(RopeTest, PartialRotaryLeavesTailUntouched) {
  for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
    std::vector<float> inv = {1.0f, 0.5f};
    std::vector<float> x = random_floats(8, 2);
    const std::vector<float> before = x;
    const std::vector<int32_t> positions = {5};
    backend->rope(x.data(), 1, 1, 8, positions.data(), {RopeStyle::kInterleaved, 4, inv.data()});
    for (int i = 4; i < 8; ++i) EXPECT_EQ(x[i], before[i]);
    EXPECT_NE(x[0], before[0]);
  }
}

// matmul on every stored dtype equals a float64 product with the row
// decoded by dequantize_row. Shapes cover what the panel kernel splits:
// several 256-column panels plus a partial one, row counts that leave a
// partial group of four on each task, odd and even token counts.
TEST(MatmulTest, AllDtypesMatchDecodedProduct) {
  struct Shape {
    int64_t in, out, tokens;
  };
  for (const Shape shape : {Shape{256, 7, 3}, Shape{800, 13, 1}, Shape{544, 9, 8}, Shape{1024, 6, 5}}) {
    const int64_t in = shape.in, out = shape.out, tokens = shape.tokens;
    for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
      const std::vector<float> weights = random_floats(static_cast<size_t>(in * out), 3, 0.5f);
      const std::vector<float> x = random_floats(static_cast<size_t>(in * tokens), 4);
      const std::vector<float> bias = random_floats(static_cast<size_t>(out), 5);
      for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0}) {
        std::vector<std::byte> encoded(dtype_row_bytes(type, in) * out);
        for (int64_t r = 0; r < out; ++r)
          ASSERT_TRUE(quantize_row(type, weights.data() + r * in, encoded.data() + r * dtype_row_bytes(type, in), in));
        TensorView view;
        view.dtype = type;
        view.rank = 2;
        view.shape = {out, in};
        view.data = encoded.data();
        view.nbytes = encoded.size();
        std::vector<float> y(static_cast<size_t>(tokens * out));
        backend->matmul(x.data(), tokens, view, bias.data(), y.data());
        std::vector<float> row(static_cast<size_t>(in));
        for (int64_t r = 0; r < out; ++r) {
          dequantize_row(type, view.row(r), row.data(), in);
          for (int64_t t = 0; t < tokens; ++t) {
            double expected = bias[r];
            for (int64_t i = 0; i < in; ++i) expected += static_cast<double>(row[i]) * x[t * in + i];
            EXPECT_NEAR(y[t * out + r], expected, 1e-3) << dtype_info(type).name << " in " << in << " row " << r;
          }
        }
      }
    }
  }
}

// A K-quant weight (decoded by the portable decoder, panel by panel) and a
// float32 weight that is not 4-byte aligned (decoded, not read in place).
TEST(MatmulTest, KQuantAndUnalignedF32MatchDecodedProduct) {
  const int64_t in = 768, out = 5, tokens = 3;
  for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
    const std::vector<float> x = random_floats(static_cast<size_t>(in * tokens), 6);
    std::vector<std::byte> q6k(dtype_row_bytes(DType::Q6_K, in) * out);
    std::mt19937 rng(7);
    for (std::byte& b : q6k) b = static_cast<std::byte>(rng() & 0xFF);
    for (int64_t block = 0; block < out * in / 256; ++block) {  // finite f16 scale at the end of each block
      const uint16_t scale = 0x1800;  // 2^-9
      std::memcpy(q6k.data() + block * 210 + 208, &scale, 2);
    }
    const std::vector<float> f32 = random_floats(static_cast<size_t>(in * out), 8);
    std::vector<std::byte> unaligned(f32.size() * sizeof(float) + 1);
    std::memcpy(unaligned.data() + 1, f32.data(), f32.size() * sizeof(float));
    for (auto [type, data, bytes] : {std::tuple{DType::Q6_K, q6k.data(), q6k.size()},
                                     std::tuple{DType::F32, unaligned.data() + 1, f32.size() * sizeof(float)}}) {
      TensorView view;
      view.dtype = type;
      view.rank = 2;
      view.shape = {out, in};
      view.data = data;
      view.nbytes = bytes;
      std::vector<float> y(static_cast<size_t>(tokens * out));
      backend->matmul(x.data(), tokens, view, nullptr, y.data());
      std::vector<float> row(static_cast<size_t>(in));
      for (int64_t r = 0; r < out; ++r) {
        dequantize_row(type, view.row(r), row.data(), in);
        for (int64_t t = 0; t < tokens; ++t) {
          double expected = 0.0, magnitude = 0.0;
          for (int64_t i = 0; i < in; ++i) {
            expected += static_cast<double>(row[i]) * x[t * in + i];
            magnitude += std::fabs(static_cast<double>(row[i]) * x[t * in + i]);
          }
          EXPECT_NEAR(y[t * out + r], expected, 1e-5 * magnitude + 1e-6) << dtype_info(type).name << " row " << r;
        }
      }
    }
  }
}

TEST(RmsNormTest, MatchesFormula) {
  for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
    const std::vector<float> x = random_floats(32, 6);
    const std::vector<float> w = random_floats(16, 7);
    std::vector<float> y(32);
    backend->rms_norm(x.data(), 2, 16, w.data(), 1e-5f, y.data());
    for (int r = 0; r < 2; ++r) {
      double squares = 0;
      for (int i = 0; i < 16; ++i) squares += x[r * 16 + i] * x[r * 16 + i];
      const double inv = 1.0 / std::sqrt(squares / 16 + 1e-5);
      for (int i = 0; i < 16; ++i) EXPECT_NEAR(y[r * 16 + i], w[i] * x[r * 16 + i] * inv, 1e-5);
    }
  }
}

// Attention with GQA over a cache against an explicit softmax.
TEST(AttentionTest, MatchesExplicitSoftmaxWithGqa) {
  const int64_t heads = 4, kv_heads = 2, hd = 8, width = kv_heads * hd, length = 5;
  for (const auto& backend_ptr : host_backends()) {
    Backend* backend = backend_ptr.get();
    SCOPED_TRACE(std::string(backend->name()));
    // One layer, two blocks of 16; the sequence lives in block 1.
    const KvStorageShape shape{1, 2, 16, static_cast<int32_t>(kv_heads), static_cast<int32_t>(hd), DType::F32};
    KvStorage cache(shape, backend->allocate(static_cast<size_t>(shape.layer_bytes())).value(),
                    backend->allocate(static_cast<size_t>(shape.layer_bytes())).value());
    const std::vector<float> keys = random_floats(static_cast<size_t>(length * width), 8);
    const std::vector<float> values = random_floats(static_cast<size_t>(length * width), 9);
    const std::vector<float> q = random_floats(static_cast<size_t>(length * heads * hd), 10);
    ForwardBatchBuilder builder({16, 1, 1, 16});
    const std::vector<int32_t> tokens(length, 0), table = {1};
    builder.add_sequence(tokens, 0, table, LogitRows::kNone);
    const ForwardBatch batch = builder.finish();
    backend->kv_store(keys.data(), values.data(), length, batch.slot_mapping.data(), 0, cache);
    std::vector<float> out(q.size());
    backend->attention(q.data(), batch, {heads, kv_heads, hd}, 0, cache, out.data());

    for (int64_t t = 0; t < length; ++t)
      for (int64_t h = 0; h < heads; ++h) {
        const int64_t kvh = h / (heads / kv_heads);
        std::vector<double> scores;
        double max_score = -1e30;
        for (int64_t p = 0; p <= t; ++p) {
          double s = 0;
          for (int64_t d = 0; d < hd; ++d) s += q[(t * heads + h) * hd + d] * keys[p * width + kvh * hd + d];
          scores.push_back(s / std::sqrt(static_cast<double>(hd)));
          max_score = std::max(max_score, scores.back());
        }
        double total = 0;
        for (double& s : scores) total += (s = std::exp(s - max_score));
        for (int64_t d = 0; d < hd; ++d) {
          double expected = 0;
          for (int64_t p = 0; p <= t; ++p) expected += scores[p] / total * values[p * width + kvh * hd + d];
          EXPECT_NEAR(out[(t * heads + h) * hd + d], expected, 1e-5);
        }
      }
  }
}

}  // namespace
}  // namespace keel
