// The parity suite: every op of a backend against the reference backend on
// random inputs — odd sizes, every weight dtype, GQA ratios 1/4/7/8, head
// dims 16/32/64/128, block sizes 1/16/32, ragged batches that mix prefill and decode,
// every KV dtype. It is parametrized by device, so each new backend (CUDA)
// is held to the same checks; a device whose hardware is absent skips.
// Inputs live in the backend's own memory (allocate + copy_to_device) and
// results come back through copy_to_host, as they would from a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend/forward_batch_builder.h"
#include "backend/registry.h"
#include "core/dequantize.h"
#include "core/half.h"

namespace keel {
namespace {

std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> out(n);
  for (float& v : out) v = normal(rng);
  return out;
}

// Host data copied into a backend's memory.
template <class T>
DeviceBuffer on_device(Backend& backend, const std::vector<T>& host) {
  DeviceBuffer buffer = backend.allocate(host.size() * sizeof(T)).value();
  backend.copy_to_device(host.data(), buffer.data(), host.size() * sizeof(T));
  return buffer;
}

template <class T>
std::vector<T> to_host(Backend& backend, const DeviceBuffer& buffer, size_t n) {
  std::vector<T> out(n);
  backend.copy_to_host(buffer.data(), out.data(), n * sizeof(T));
  EXPECT_TRUE(backend.synchronize().ok());
  return out;
}

// |a - b| <= tolerance * (1 + |b|), element by element.
void expect_near(const std::vector<float>& a, const std::vector<float>& b, double tolerance, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  size_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::abs(static_cast<double>(a[i]) - b[i]) <= tolerance * (1.0 + std::abs(b[i]))) && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << a[i] << ", the reference says " << b[i];
}

// A weight matrix [out, in] in `type`: quantized from random floats where
// keel encodes the type, random blocks with finite scales for the K-quants.
std::vector<std::byte> random_weight(DType type, int64_t out, int64_t in, std::mt19937& rng) {
  const size_t row_bytes = dtype_row_bytes(type, in);
  std::vector<std::byte> bytes(static_cast<size_t>(out) * row_bytes);
  const std::vector<float> values = random_floats(static_cast<size_t>(out * in), rng, 0.5f);
  for (int64_t r = 0; r < out; ++r)
    if (!quantize_row(type, values.data() + r * in, bytes.data() + r * row_bytes, in)) {
      // K-quants: random bits, then a finite f16 scale where each layout keeps it.
      std::uniform_int_distribution<int> byte(0, 255);
      for (size_t i = 0; i < row_bytes; ++i) bytes[r * row_bytes + i] = static_cast<std::byte>(byte(rng));
      const DTypeInfo& info = dtype_info(type);
      const std::vector<int> scales = type == DType::Q6_K ? std::vector<int>{208} : std::vector<int>{0, 2};
      for (int64_t b = 0; b < in / info.block_elems; ++b)
        for (int offset : scales) {
          const uint16_t bits = f32_to_f16(std::ldexp(1.0f + static_cast<float>(byte(rng)) / 256.0f, -8));
          std::memcpy(&bytes[r * row_bytes + b * info.block_bytes + offset], &bits, 2);
        }
    }
  return bytes;
}

// A device and which of its kernels: the fast default or --exact-kernels.
struct DeviceUnderTest {
  std::string device;
  bool exact_kernels = false;
};

// The weight types whose fast kernels (on every device) may multiply
// activations quantized in blocks of 32 columns to int16 or coarser: scale
// s = max|x| / 32767 on the CPU, x ≈ s·q with q = round(x / s). (A device
// that quantizes coarser, e.g. int8 with s = max|x| / 127, states its own
// kActivationLevels.)
constexpr double kActivationLevels = 32767.0;

// The CPU quantizes activations for Q8_0/Q4_0/Q4_1/Q5_0; the CUDA fast
// path also for the K-quants. (A float product passes the looser check too.)
bool quantizes_activations(DType type) {
  return type == DType::Q8_0 || type == DType::Q4_0 || type == DType::Q4_1 || type == DType::Q5_0 ||
         type == DType::Q4_K || type == DType::Q5_K || type == DType::Q6_K;
}

// The tolerance quantized activations justify, derived rather than tuned. Each
// activation moves by e = x - s·q with |e| ≤ s/2, so an output moves by
// Σ w_k·e_k against the float product:
//  - always |Σ w·e| ≤ Σ |w_k|·s_k/2 (plus the float tolerance 1e-4·(1+|y|));
//  - for inputs like these (continuous, random), e is uniform on ±s/2, of
//    variance s²/12, so the squared error summed over all outputs has mean
//    E = Σ_t Σ_r Σ_k w_rk²·s_tk²/12. A kernel whose error is ~1.5× larger
//    than quantization explains (a wrong rounding, a lost block, a wrong
//    scale) moves that sum to ~2.25·E, which the hard bound alone would let
//    through.
// How far the sum may stray from E by chance depends on how many
// independent errors it holds. A token's outputs all project the same e_t,
// so they are not independent: their errors ε_t = W·e_t have the covariance
// C_t = W·diag(s_t²/12)·Wᵀ, and Σ_r ε_tr² has variance about 2·tr(C_t²)
// (Gaussian ε). Rows that share a large common part (the block minimum of
// Q4_1 and the K-quants) make one token's 67 outputs nearly one sample, whose
// square exceeds twice its mean one time in six: a fixed "2·E" failed about
// one random draw in six for q5_k. So the bound is E plus 8 standard
// deviations of the sum (tr(C_t²) measured on up to kSpreadTokens tokens
// and scaled to all of them): as tight as 2·E where the outputs are
// independent, looser only where chance really could go that far.
void expect_within_activation_quantization(const std::vector<float>& actual, const std::vector<float>& expected,
                                           const std::vector<float>& x, const std::vector<std::byte>& weight,
                                           DType type, int64_t out, int64_t in, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  constexpr int64_t kSpreadTokens = 8;
  const int64_t tokens = static_cast<int64_t>(expected.size()) / out;
  std::vector<float> w(static_cast<size_t>(out * in));  // [out, in], the rows as the reference reads them
  for (int64_t r = 0; r < out; ++r)
    dequantize_row(type, weight.data() + r * dtype_row_bytes(type, in), w.data() + r * in, in);
  std::vector<double> step(static_cast<size_t>(in));         // s of the block that holds column k
  std::vector<double> variance_of(static_cast<size_t>(in));  // s_k²/12
  double squared_error = 0, predicted_variance = 0, spread = 0;  // spread: Σ_t tr(C_t²) over the sampled tokens
  size_t bad = 0;
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t k0 = 0; k0 < in; k0 += 32) {
      double amax = 0;
      for (int64_t k = k0; k < k0 + 32; ++k) amax = std::max(amax, std::abs(static_cast<double>(x[t * in + k])));
      for (int64_t k = k0; k < k0 + 32; ++k) {
        step[k] = amax / kActivationLevels;
        variance_of[k] = step[k] * step[k] / 12;
      }
    }
    for (int64_t r = 0; r < out; ++r) {
      const float* row = w.data() + r * in;
      double bound = 0, variance = 0;
      for (int64_t k = 0; k < in; ++k) {
        bound += std::abs(static_cast<double>(row[k])) * step[k] / 2;
        variance += static_cast<double>(row[k]) * row[k] * variance_of[k];
      }
      const size_t i = static_cast<size_t>(t * out + r);
      const double error = static_cast<double>(actual[i]) - expected[i];
      if (!(std::abs(error) <= bound + 1e-4 * (1.0 + std::abs(expected[i]))) && bad++ < 5)
        ADD_FAILURE() << what << ": element " << i << " is " << actual[i] << ", the reference says " << expected[i]
                      << ", beyond the quantization bound " << bound;
      squared_error += error * error;
      predicted_variance += variance;
      if (t < kSpreadTokens) {
        spread += variance * variance;  // C_rr²
        for (int64_t r2 = r + 1; r2 < out; ++r2) {
          const float* other = w.data() + r2 * in;
          double c = 0;
          for (int64_t k = 0; k < in; ++k) c += static_cast<double>(row[k]) * other[k] * variance_of[k];
          spread += 2 * c * c;  // C_rr2² and C_r2r²
        }
      }
    }
  }
  spread *= static_cast<double>(tokens) / static_cast<double>(std::min(tokens, kSpreadTokens));
  EXPECT_LE(squared_error, predicted_variance + 8.0 * std::sqrt(2.0 * spread))
      << what << ": mean squared error beyond what quantized activations explain (expected about "
      << predicted_variance << ")";
}

// How the CUDA fast path multiplies batches of more than 8 token rows
// (prefill), and of more than one on f16/bf16 weights, on the tensor cores:
//  - bf16 weights: the input split into bf16 hi + lo (v = hi + lo + r,
//    |r| <= 2^-16·|v|), two bf16 products summed in float32;
//  - block-quantized and f16 weights, and bf16 ones from 4,096 rows on:
//    both operands rounded to f16 (the input under a power-of-two scale),
//    one product with float32 sums.
enum class FastGemm { kNone, kSplitBf16, kHalf };
FastGemm fast_gemm(const DeviceUnderTest& device, DType type, int64_t tokens) {
  const bool sixteen_bit = type == DType::F16 || type == DType::BF16;
  if (device.device != "cuda" || device.exact_kernels || type == DType::F32) return FastGemm::kNone;
  if (tokens <= 1 || (tokens <= 8 && !sixteen_bit)) return FastGemm::kNone;
  return type == DType::BF16 && tokens < 4096 ? FastGemm::kSplitBf16 : FastGemm::kHalf;
}

// |actual - expected| <= 2^-exponent · Σ_k |w_k·x_k| plus the float
// tolerance, element by element: the bound of a product whose operands are
// rounded to a coarser type. The split drops lo_w·lo_x and two remainders,
// each at most 2^-16·|w·x|: 2^-14 in all, which a missing cross term (2^-8
// per product) fails. Rounding both operands to f16 moves each product by
// at most (2^-11 + 2^-11)·|w·x|: 2^-10, which a wrong scale or an operand
// rounded to bf16 (2^-8) fails.
void expect_within_rounding(const std::vector<float>& actual, const std::vector<float>& expected,
                            const std::vector<float>& x, const std::vector<std::byte>& weight, DType type,
                            int64_t out, int64_t in, int exponent, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  const int64_t tokens = static_cast<int64_t>(expected.size()) / out;
  std::vector<float> w(static_cast<size_t>(in));
  size_t bad = 0;
  for (int64_t r = 0; r < out; ++r) {
    dequantize_row(type, weight.data() + r * dtype_row_bytes(type, in), w.data(), in);
    for (int64_t t = 0; t < tokens; ++t) {
      double magnitude = 0;
      for (int64_t k = 0; k < in; ++k) magnitude += std::abs(static_cast<double>(w[k]) * x[t * in + k]);
      const size_t i = static_cast<size_t>(t * out + r);
      const double bound = std::ldexp(magnitude, -exponent) + 1e-4 * (1.0 + std::abs(expected[i]));
      if (!(std::abs(static_cast<double>(actual[i]) - expected[i]) <= bound) && bad++ < 5)
        ADD_FAILURE() << what << ": element " << i << " is " << actual[i] << ", the reference says " << expected[i]
                      << ", beyond the rounding bound " << bound;
    }
  }
}

// The bar of a matmul on `device`: exact, the fast GEMMs' rounding, or the
// fast matvec's quantized activations.
void expect_matmul_within_its_bar(const DeviceUnderTest& device, const std::vector<float>& actual,
                                  const std::vector<float>& expected, const std::vector<float>& x,
                                  const std::vector<std::byte>& weight, DType type, int64_t out, int64_t in,
                                  const std::string& what) {
  const int64_t tokens = static_cast<int64_t>(expected.size()) / out;
  switch (fast_gemm(device, type, tokens)) {
    case FastGemm::kSplitBf16: return expect_within_rounding(actual, expected, x, weight, type, out, in, 14, what);
    case FastGemm::kHalf: return expect_within_rounding(actual, expected, x, weight, type, out, in, 10, what);
    case FastGemm::kNone: break;
  }
  if (device.exact_kernels || !quantizes_activations(type)) return expect_near(actual, expected, 1e-4, what);
  expect_within_activation_quantization(actual, expected, x, weight, type, out, in, what);
}

class BackendParity : public ::testing::TestWithParam<DeviceUnderTest> {
 protected:
  void SetUp() override {
    auto made = create_backend(GetParam().device, BackendOptions{.exact_kernels = GetParam().exact_kernels});
    if (!made.ok()) GTEST_SKIP() << made.error().message;
    backend_ = std::move(made).value();
    ASSERT_TRUE(backend_->reserve_matmul_input(kMaxTokens, kMaxIn).ok());
    reference_ = create_backend("reference").value();
  }
  static constexpr int64_t kMaxTokens = 160, kMaxIn = 2304;  // the largest matmul input below
  // A weight view resident on `backend`.
  static TensorView resident(Backend& backend, DType type, int64_t out, int64_t in, const std::vector<std::byte>& bytes) {
    TensorView view;
    view.dtype = type;
    view.rank = 2;
    view.shape = {out, in, 0, 0};
    view.nbytes = bytes.size();
    view.data = bytes.data();
    view.data = backend.make_matrix_resident(view).value();
    return view;
  }
  // x: [tokens, in] times `weight` ([out, in] in `type`), no bias, on the
  // reference (first) and on the backend under test (second).
  std::pair<std::vector<float>, std::vector<float>> products(DType type, const std::vector<std::byte>& weight,
                                                             const std::vector<float>& x, int64_t tokens,
                                                             int64_t out, int64_t in) {
    std::vector<float> expected(static_cast<size_t>(tokens * out));
    reference_->matmul(x.data(), tokens, resident(*reference_, type, out, in, weight), nullptr, expected.data());
    DeviceBuffer dx = on_device(*backend_, x);
    DeviceBuffer dy = backend_->allocate(expected.size() * sizeof(float)).value();
    backend_->matmul(dx.as<float>(), tokens, resident(*backend_, type, out, in, weight), nullptr, dy.as<float>());
    std::vector<float> actual = to_host<float>(*backend_, dy, expected.size());
    return {std::move(expected), std::move(actual)};
  }
  std::unique_ptr<Backend> backend_, reference_;
  std::mt19937 rng_{2024};
};

TEST_P(BackendParity, MatmulEveryWeightDtype) {
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                     DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const bool k_quant = dtype_info(type).block_elems == 256;
    for (int64_t in : k_quant ? std::vector<int64_t>{256, 768} : std::vector<int64_t>{96, 544}) {
      // 1-8 tokens: decode shapes; 33: a batched decode (a GPU's stacked
      // GEMM, both input halves in one); 160: a prefill (its GEMMs apart).
      for (int64_t tokens : {1, 3, 8, 33, 160}) {
        const int64_t out = 67;
        const std::vector<std::byte> weight = random_weight(type, out, in, rng_);
        const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_);
        const std::vector<float> bias = random_floats(static_cast<size_t>(out), rng_);
        std::vector<float> expected(static_cast<size_t>(tokens * out));
        reference_->matmul(x.data(), tokens, resident(*reference_, type, out, in, weight), bias.data(), expected.data());
        DeviceBuffer dx = on_device(*backend_, x), dbias = on_device(*backend_, bias);
        DeviceBuffer dy = backend_->allocate(expected.size() * sizeof(float)).value();
        backend_->matmul(dx.as<float>(), tokens, resident(*backend_, type, out, in, weight), dbias.as<float>(),
                         dy.as<float>());
        const std::string what =
            std::string(dtype_info(type).name) + " in " + std::to_string(in) + " tokens " + std::to_string(tokens);
        const std::vector<float> actual = to_host<float>(*backend_, dy, expected.size());
        expect_matmul_within_its_bar(GetParam(), actual, expected, x, weight, type, out, in, what);
      }
    }
  }
}

// K-quant rows of 2,304 columns (9 blocks) at decode batch sizes: longer
// than MatmulEveryWeightDtype's rows, past the 4 to 8 blocks that one pass
// of a GPU decode kernel takes, into a partial last pass. (A test of its
// own, so that MatmulEveryWeightDtype's random draws stay as they were.)
TEST_P(BackendParity, MatmulOfKQuantRowsLongerThanOneDecodePass) {
  const int64_t in = 2304, out = 67;
  for (DType type : {DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    for (int64_t tokens : {1, 2, 8}) {
      const std::vector<std::byte> weight = random_weight(type, out, in, rng_);
      const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_);
      auto [expected, actual] = products(type, weight, x, tokens, out, in);
      const std::string what = std::string(dtype_info(type).name) + " tokens " + std::to_string(tokens);
      expect_matmul_within_its_bar(GetParam(), actual, expected, x, weight, type, out, in, what);
    }
  }
}

// argmax_rows names each row's first largest value, and the first largest
// among the ids not excluded, and flags a row with a NaN or an infinity, at
// widths below, at and past a GPU block's threads.
TEST_P(BackendParity, ArgmaxRowsFindTheFirstLargestAndFlagNonFiniteRows) {
  for (int64_t vocab : {7, 1024, 5003}) {
    const int64_t rows = 6;
    std::vector<float> logits = random_floats(static_cast<size_t>(rows * vocab), rng_);  // normal, |v| < 6
    auto at = [&](int64_t row, int64_t i) -> float& { return logits[static_cast<size_t>(row * vocab + i)]; };
    at(0, vocab - 2) = 20.0f;                               // a clear maximum near the end
    for (int64_t i : {vocab / 3, vocab / 2, vocab - 1}) at(1, i) = 20.0f;  // three equal maxima: the first wins
    at(2, 1) = 20.0f;
    at(2, vocab - 1) = std::numeric_limits<float>::quiet_NaN();
    at(3, vocab / 2) = std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < vocab; ++i) at(4, i) = -1.5f;  // all equal: index 0
    at(5, 0) = 20.0f;
    DeviceBuffer dlogits = on_device(*backend_, logits);
    DeviceBuffer dout = backend_->allocate(static_cast<size_t>(rows) * sizeof(RowArgmax)).value();
    ExcludedIds excluded;
    for (int64_t id : {int64_t{0}, vocab / 3, vocab - 2}) excluded.ids[excluded.count++] = static_cast<int32_t>(id);
    backend_->argmax_rows(dlogits.as<float>(), rows, vocab, excluded, dout.as<RowArgmax>());
    const std::vector<RowArgmax> found = to_host<RowArgmax>(*backend_, dout, static_cast<size_t>(rows));
    const std::string what = "vocab " + std::to_string(vocab);
    EXPECT_EQ(found[0].index, vocab - 2) << what;
    EXPECT_EQ(found[1].index, vocab / 3) << what;
    EXPECT_EQ(found[4].index, 0) << what;
    EXPECT_EQ(found[5].index, 0) << what;
    for (int row : {0, 1, 4, 5}) EXPECT_EQ(found[row].finite, 1) << what << " row " << row;
    EXPECT_EQ(found[2].finite, 0) << what << ": a NaN";
    EXPECT_EQ(found[3].finite, 0) << what << ": an infinity";
    EXPECT_EQ(found[3].index, vocab / 2) << what << ": +infinity is still the largest";
    // Among the allowed ids (0, vocab / 3 and vocab - 2 excluded), by a
    // plain scan here.
    for (int row : {0, 1, 4, 5}) {
      int64_t expected = -1;
      for (int64_t i = 0; i < vocab; ++i)
        if (i != 0 && i != vocab / 3 && i != vocab - 2 && (expected < 0 || at(row, i) > at(row, expected))) expected = i;
      EXPECT_EQ(found[row].index_among_allowed, expected) << what << " row " << row;
    }
    EXPECT_EQ(found[1].index_among_allowed, vocab / 2) << what << ": the next of the equal maxima";
    EXPECT_EQ(found[4].index_among_allowed, 1) << what << ": the first allowed of equal values";
  }
}

// A batched decode against an output matrix (a vocabulary) taller than the
// GPU's stacked-GEMM scratch holds for 128 tokens (16,384 rows): the
// product goes in chunks of rows, each landing at its own columns of y.
TEST_P(BackendParity, MatmulOfManyRowsInChunks) {
  const int64_t tokens = 128, in = 64, out = 16384 + 77;
  const std::vector<std::byte> weight = random_weight(DType::BF16, out, in, rng_);
  const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_);
  const auto [expected, actual] = products(DType::BF16, weight, x, tokens, out, in);
  expect_matmul_within_its_bar(GetParam(), actual, expected, x, weight, DType::BF16, out, in,
                               "bf16 [16461, 64], 128 tokens");
}

// A long prompt on bf16 weights (4,100 rows: a GPU converts the weight's
// panel to f16 for one GEMM from 4,096 rows on), within its bar.
TEST_P(BackendParity, MatmulOfALongPromptOnBf16Weights) {
  const int64_t tokens = 4100, in = 256, out = 45;
  ASSERT_TRUE(backend_->reserve_matmul_input(tokens, in).ok());
  const std::vector<std::byte> weight = random_weight(DType::BF16, out, in, rng_);
  const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_);
  const auto [expected, actual] = products(DType::BF16, weight, x, tokens, out, in);
  expect_matmul_within_its_bar(GetParam(), actual, expected, x, weight, DType::BF16, out, in,
                               "bf16 [45, 256], 4,100 tokens");
}

// Activations far past f16's range (65,504), as a down projection's input
// can be: a GPU's f16 GEMM scales its input by a power of two first, so the
// products stay finite and within its rounding bar (2^-10 of Σ|w·x|, which
// every other path meets too: an element-wise bar relative to |y| would
// fail float32 itself where the sum cancels).
TEST_P(BackendParity, MatmulOfActivationsPastHalfRangeStaysWithinItsBar) {
  for (DType type : {DType::Q8_0, DType::Q4_K, DType::F16}) {
    const int64_t tokens = 160, in = 256, out = 37;
    const std::vector<std::byte> weight = random_weight(type, out, in, rng_);
    const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_, 2e5f);
    const auto [expected, actual] = products(type, weight, x, tokens, out, in);
    for (float v : actual) ASSERT_TRUE(std::isfinite(v)) << dtype_info(type).name << ": a product overflowed";
    expect_within_rounding(actual, expected, x, weight, type, out, in, 10,
                           std::string(dtype_info(type).name) + " x ~ 2e5, 160 tokens");
  }
}

// A group of products of one input (Q/K/V, gate/up) gives, bit for bit,
// what the backend's own matmul gives for each weight alone, whatever the
// mix of weight types (integer and float paths in one region) and however
// the rows of the group fall across the backend's tasks.
TEST_P(BackendParity, MatmulGroupEqualsEachMatmulAlone) {
  const int64_t in = 512;
  const std::vector<std::pair<DType, int64_t>> weights = {{DType::Q8_0, 67}, {DType::Q4_K, 13}, {DType::F16, 29}};
  for (int64_t tokens : {1, 3, 33}) {
    const std::vector<float> x = random_floats(static_cast<size_t>(tokens * in), rng_);
    DeviceBuffer dx = on_device(*backend_, x);
    std::vector<std::vector<std::byte>> stored;  // a CPU backend reads these in place: keep them alive
    std::vector<TensorView> views;
    std::vector<DeviceBuffer> biases, grouped, alone;
    std::vector<MatmulTarget> targets;
    for (const auto& [type, out] : weights) {
      stored.push_back(random_weight(type, out, in, rng_));
      views.push_back(resident(*backend_, type, out, in, stored.back()));
      biases.push_back(on_device(*backend_, random_floats(static_cast<size_t>(out), rng_)));
      grouped.push_back(backend_->allocate(static_cast<size_t>(tokens * out) * sizeof(float)).value());
      alone.push_back(backend_->allocate(static_cast<size_t>(tokens * out) * sizeof(float)).value());
    }
    for (size_t i = 0; i < weights.size(); ++i) targets.push_back({&views[i], biases[i].as<float>(), grouped[i].as<float>()});
    backend_->matmul_group(dx.as<float>(), tokens, targets);
    for (size_t i = 0; i < weights.size(); ++i)
      backend_->matmul(dx.as<float>(), tokens, views[i], biases[i].as<float>(), alone[i].as<float>());
    for (size_t i = 0; i < weights.size(); ++i) {
      const size_t n = static_cast<size_t>(tokens * weights[i].second);
      const std::vector<float> g = to_host<float>(*backend_, grouped[i], n), a = to_host<float>(*backend_, alone[i], n);
      EXPECT_EQ(0, std::memcmp(g.data(), a.data(), n * sizeof(float)))
          << dtype_info(weights[i].first).name << " target of a group, " << tokens << " tokens";
    }
  }
}

TEST_P(BackendParity, EmbedEveryDtype) {
  const int64_t vocab = 41, dim = 256;
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K}) {
    const std::vector<std::byte> table = random_weight(type, vocab, dim, rng_);
    const std::vector<int32_t> tokens = {0, 40, 7, 7, 19};
    std::vector<float> expected(tokens.size() * dim);
    reference_->embed(resident(*reference_, type, vocab, dim, table), tokens.data(), 5, expected.data());
    DeviceBuffer dtokens = on_device(*backend_, tokens);
    DeviceBuffer dout = backend_->allocate(expected.size() * sizeof(float)).value();
    backend_->embed(resident(*backend_, type, vocab, dim, table), dtokens.as<int32_t>(), 5, dout.as<float>());
    expect_near(to_host<float>(*backend_, dout, expected.size()), expected, 0.0, dtype_info(type).name.data());
  }
}

TEST_P(BackendParity, NormRopeSwigluAddGather) {
  for (int64_t dim : {7, 64, 200}) {
    const std::vector<float> x = random_floats(static_cast<size_t>(5 * dim), rng_);
    const std::vector<float> w = random_floats(static_cast<size_t>(dim), rng_);
    std::vector<float> expected(x.size());
    reference_->rms_norm(x.data(), 5, dim, w.data(), 1e-6f, expected.data());
    DeviceBuffer dx = on_device(*backend_, x), dw = on_device(*backend_, w);
    backend_->rms_norm(dx.as<float>(), 5, dim, dw.as<float>(), 1e-6f, dx.as<float>());  // in place
    expect_near(to_host<float>(*backend_, dx, x.size()), expected, 1e-5, "rms_norm dim " + std::to_string(dim));
  }
  for (RopeStyle style : {RopeStyle::kNeox, RopeStyle::kInterleaved})
    for (int64_t hd : {64, 128})
      for (int64_t rotary : {hd, hd / 2}) {
        const int64_t tokens = 6, heads = 3;
        std::vector<float> inv(static_cast<size_t>(rotary / 2));
        for (size_t j = 0; j < inv.size(); ++j) inv[j] = std::pow(500000.0f, -2.0f * j / rotary);
        const std::vector<int32_t> positions = {0, 1, 2, 63, 1000, 4095};
        const std::vector<float> x = random_floats(static_cast<size_t>(tokens * heads * hd), rng_);
        std::vector<float> expected = x;
        reference_->rope(expected.data(), tokens, heads, hd, positions.data(), {style, rotary, inv.data()});
        DeviceBuffer dx = on_device(*backend_, x), dpos = on_device(*backend_, positions), dinv = on_device(*backend_, inv);
        backend_->rope(dx.as<float>(), tokens, heads, hd, dpos.as<int32_t>(), {style, rotary, dinv.as<float>()});
        expect_near(to_host<float>(*backend_, dx, x.size()), expected, 1e-5, "rope hd " + std::to_string(hd));
      }
  const size_t n = 1003;
  const std::vector<float> gate = random_floats(n, rng_, 3.0f), up = random_floats(n, rng_);
  std::vector<float> expected_swiglu = gate, expected_add = gate;
  reference_->swiglu(expected_swiglu.data(), up.data(), n);
  reference_->add(expected_add.data(), up.data(), n);
  DeviceBuffer dgate = on_device(*backend_, gate), dup = on_device(*backend_, up), dsum = on_device(*backend_, gate);
  backend_->swiglu(dgate.as<float>(), dup.as<float>(), n);
  backend_->add(dsum.as<float>(), dup.as<float>(), n);
  expect_near(to_host<float>(*backend_, dgate, n), expected_swiglu, 1e-6, "swiglu");
  expect_near(to_host<float>(*backend_, dsum, n), expected_add, 0.0, "add");
  const std::vector<int32_t> rows = {0, 5, 9};
  const std::vector<float> src = random_floats(10 * 33, rng_);
  std::vector<float> expected_rows(3 * 33);
  reference_->gather_rows(src.data(), 33, rows.data(), 3, expected_rows.data());
  DeviceBuffer dsrc = on_device(*backend_, src), drows = on_device(*backend_, rows);
  DeviceBuffer dgathered = backend_->allocate(expected_rows.size() * sizeof(float)).value();
  backend_->gather_rows(dsrc.as<float>(), 33, drows.as<int32_t>(), 3, dgathered.as<float>());
  expect_near(to_host<float>(*backend_, dgathered, expected_rows.size()), expected_rows, 0.0, "gather_rows");
}

struct AttentionCase {
  int64_t query_heads, kv_heads, head_dim;
  int32_t block_size;
  DType kv_dtype;
};

// The bar for attention on a device's fast kernels: the CUDA tensor-core
// attention rounds Q and the softmax weights to the 16-bit KV type (11
// significant bits for f16, 8 for bf16) and sums in float32, a few parts
// in 10^4 (f16) or 10^3 (bf16) of the output; everything else is float32
// and held to 2e-5. A wrong mask, tile or address is off by ~0.1 or more.
double attention_tolerance(const DeviceUnderTest& device, DType kv_dtype) {
  if (device.device != "cuda" || device.exact_kernels) return 2e-5;
  if (kv_dtype == DType::F16) return 2e-3;
  if (kv_dtype == DType::BF16) return 1e-2;
  return 2e-5;
}

// kv_store then attention on a ragged batch: a fresh 37-token prefill, a
// decode at position 50, a 9-token chunk continuing a prefill at 20 and a
// 75-token one continuing at 90 (past 64 rows and keys, the tensor-core
// kernel's tiles), the earlier positions stored by a previous "step"; block
// tables shuffled so that no sequence's blocks are consecutive.
void check_attention(Backend& backend, Backend& reference, const AttentionCase& c, double tolerance,
                     std::mt19937& rng) {
  const int32_t bs = c.block_size;
  struct Seq {
    int32_t cached, fresh;
  };
  const std::vector<Seq> seqs = {{0, 37}, {50, 1}, {20, 9}, {90, 75}};
  int32_t blocks_needed = 0, widest = 0;
  for (const Seq& s : seqs) {
    const int32_t blocks = (s.cached + s.fresh + bs - 1) / bs;
    blocks_needed += blocks;
    widest = std::max(widest, blocks);
  }
  std::vector<int32_t> ids(static_cast<size_t>(blocks_needed) + 3);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  std::vector<std::vector<int32_t>> tables;
  size_t next = 0;
  for (const Seq& s : seqs) {
    const int32_t blocks = (s.cached + s.fresh + bs - 1) / bs;
    tables.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(next), ids.begin() + static_cast<std::ptrdiff_t>(next + blocks));
    next += static_cast<size_t>(blocks);
  }
  const KvStorageShape shape{1, static_cast<int32_t>(ids.size()), bs, static_cast<int32_t>(c.kv_heads),
                             static_cast<int32_t>(c.head_dim), c.kv_dtype};
  const int64_t width = shape.row_elems(), q_width = c.query_heads * c.head_dim;
  auto make_kv = [&](Backend& b) {
    return KvStorage(shape, b.allocate(static_cast<size_t>(shape.layer_bytes())).value(),
                     b.allocate(static_cast<size_t>(shape.layer_bytes())).value());
  };
  KvStorage kv_test = make_kv(backend), kv_reference = make_kv(reference);
  // Two steps: the cached prefix of every sequence, then the new rows.
  for (int step = 0; step < 2; ++step) {
    ForwardBatchBuilder builder({256, 4, widest, bs});
    for (size_t s = 0; s < seqs.size(); ++s) {
      const int32_t first = step == 0 ? 0 : seqs[s].cached;
      const int32_t count = step == 0 ? seqs[s].cached : seqs[s].fresh;
      if (count > 0) builder.add_sequence(std::vector<int32_t>(static_cast<size_t>(count), 0), first, tables[s], LogitRows::kNone);
    }
    const ForwardBatch batch = builder.finish();
    const auto n = static_cast<size_t>(batch.n_tokens);
    const std::vector<float> keys = random_floats(n * width, rng), values = random_floats(n * width, rng);
    const std::vector<float> q = random_floats(n * q_width, rng);
    const AttentionShape heads{c.query_heads, c.kv_heads, c.head_dim};
    std::vector<float> expected(n * q_width);
    reference.kv_store(keys.data(), values.data(), batch.n_tokens, batch.slot_mapping.data(), 0, kv_reference);
    reference.attention(q.data(), batch, heads, 0, kv_reference, expected.data());

    DeviceBuffer packed = on_device(backend, std::vector<int32_t>(batch.packed.begin(), batch.packed.end()));
    const ForwardBatch device_batch = batch.rebased(packed.as<int32_t>());
    DeviceBuffer dk = on_device(backend, keys), dv = on_device(backend, values), dq = on_device(backend, q);
    DeviceBuffer dout = backend.allocate(expected.size() * sizeof(float)).value();
    backend.kv_store(dk.as<float>(), dv.as<float>(), batch.n_tokens, device_batch.slot_mapping.data(), 0, kv_test);
    backend.attention(dq.as<float>(), device_batch, heads, 0, kv_test, dout.as<float>());
    const std::string what = "gqa " + std::to_string(c.query_heads / c.kv_heads) + " hd " + std::to_string(c.head_dim) +
                             " block " + std::to_string(bs) + " kv " + std::string(dtype_info(c.kv_dtype).name) +
                             " step " + std::to_string(step);
    expect_near(to_host<float>(backend, dout, expected.size()), expected, tolerance, what);
    // The stored bytes are the same: both round to the KV dtype alike.
    std::vector<std::byte> stored(static_cast<size_t>(shape.layer_bytes()));
    backend.copy_to_host(kv_test.keys(0), stored.data(), stored.size());
    ASSERT_TRUE(backend.synchronize().ok());
    EXPECT_EQ(std::memcmp(stored.data(), kv_reference.keys(0), stored.size()), 0) << what << ": stored keys differ";
  }
}

TEST_P(BackendParity, KvStoreAndAttention) {
  for (DType kv : {DType::F32, DType::F16, DType::BF16})
    for (int32_t block_size : {1, 16, 32})
      for (int64_t group : {1, 4, 7, 8})  // 7: Qwen2-7B's 28 / 4, a group that does not divide a 64-row tile
        for (int64_t hd : {16, 32, 64, 128})
          check_attention(*backend_, *reference_, {2 * group, 2, hd, block_size, kv},
                          attention_tolerance(GetParam(), kv), rng_);
}

// Every built device but the oracle, on its fast kernels and on its exact ones.
std::vector<DeviceUnderTest> devices_under_test() {
  std::vector<DeviceUnderTest> out;
  for (std::string_view device : built_devices())
    if (device != "reference")
      for (bool exact : {false, true}) out.push_back({std::string(device), exact});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Devices, BackendParity, ::testing::ValuesIn(devices_under_test()),
                         [](const auto& test_info) {
                           return test_info.param.device + (test_info.param.exact_kernels ? "_exact" : "_fast");
                         });

}  // namespace
}  // namespace keel
