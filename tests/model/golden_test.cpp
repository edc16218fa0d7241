// Logits of every golden fixture (tests/golden/<family>/, made with
// Hugging Face transformers; see tests/golden/manifest.json) against keel.
//
//   float32 (safetensors, GGUF f32):  logits within 1e-4 of the row's max |logit|,
//                                     and the 32-token greedy continuation identical
//   GGUF f16 / bf16:                  within 1e-3 of transformers run on the
//                                     file's own (rounded) weights; against the
//                                     float32 reference the same top-1 on >= 95%
//                                     of positions (the error against float32 is
//                                     printed: it measures the file's rounding,
//                                     about 1e-2 for bf16, not keel)
//   GGUF quantized:                   within 1e-3 of transformers run on that
//                                     file's own dequantized weights
// Each case prints its measured error. Fixtures not present are skipped.
// Every model loads with exact kernels (LoadOptions::exact_kernels): these
// are the transformers-exactness tests; the fast path's distance from the
// exact one is gated by bench_quality_test.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "forward_helpers.h"

namespace keel::testing {
namespace {

const std::filesystem::path kGolden = std::filesystem::path(KEEL_SOURCE_DIR) / "tests" / "golden";

// The exact kernels, on the test device ($KEEL_TEST_DEVICE, or the CPU).
const LoadOptions kExact = [] {
  LoadOptions options = test_load_options();
  options.exact_kernels = true;
  return options;
}();

enum class Check { kFloat32, kHalf, kQuantized };

struct GoldenCase {
  std::string family;
  std::string model;      // file or directory under the family folder
  std::string reference;  // logits file it is compared with
  Check check;
};

std::string case_name(const GoldenCase& c) {
  std::string name = c.family + "_" + c.model;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::vector<GoldenCase> all_cases() {
  std::vector<GoldenCase> cases;
  for (const std::string family : {"llama", "qwen2", "qwen3", "glm", "glm4"}) {
    cases.push_back({family, "hf", "logits.f32", Check::kFloat32});
    cases.push_back({family, "model-f32.gguf", "logits.f32", Check::kFloat32});
    cases.push_back({family, "model-f16.gguf", "logits-f16.f32", Check::kHalf});
    cases.push_back({family, "model-bf16.gguf", "logits-bf16.f32", Check::kHalf});
    cases.push_back({family, "model-q8_0.gguf", "logits-q8_0.f32", Check::kQuantized});
  }
  cases.push_back({"glm", "model-f32-unfused.gguf", "logits.f32", Check::kFloat32});
  for (const std::string type : {"Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K", "Q8_0"})
    cases.push_back({"llama", "model-" + type + ".gguf", "logits-" + type + ".f32", Check::kQuantized});
  return cases;
}

std::vector<float> read_floats(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> out(std::filesystem::file_size(path) / sizeof(float));
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * sizeof(float)));
  return out;
}

// Greedy continuation: argmax of the prompt's last row, then one token per step.
std::vector<int32_t> greedy_continuation(Model& model, TestRunner& cache, const std::vector<float>& prompt_logits,
                                         int32_t prompt_length, size_t count) {
  const int64_t vocab = model.config().vocab;
  std::vector<int32_t> out = {argmax(prompt_logits.data() + (prompt_length - 1) * vocab, vocab)};
  while (out.size() < count) {
    const int32_t position = prompt_length + static_cast<int32_t>(out.size()) - 1;
    const std::vector<float> row = prefill_all_logits(model, cache, {out.back()}, position);
    if (row.empty()) break;
    out.push_back(argmax(row.data(), vocab));
  }
  return out;
}

class GoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, LogitsMatchTransformers) {
  const GoldenCase& c = GetParam();
  const std::filesystem::path dir = kGolden / c.family;
  if (!std::filesystem::exists(dir / "reference.json") || !std::filesystem::exists(dir / c.model) ||
      !std::filesystem::exists(dir / c.reference))
    GTEST_SKIP() << "fixture " << (dir / c.model) << " not present";
  const nlohmann::json reference = nlohmann::json::parse(std::ifstream(dir / "reference.json"));
  const std::vector<int32_t> prompt = reference["prompt_ids"].get<std::vector<int32_t>>();
  const std::vector<int32_t> greedy = reference["greedy_ids"].get<std::vector<int32_t>>();
  const std::vector<float> expected = read_floats(dir / c.reference);

  auto model = load_model(dir / c.model, kExact);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const int64_t vocab = (*model)->config().vocab;
  ASSERT_EQ(expected.size(), prompt.size() * static_cast<size_t>(vocab));
  auto cache = make_test_runner(**model, 1, static_cast<int32_t>(prompt.size() + greedy.size() + 1));
  const std::vector<float> actual = prefill_all_logits(**model, *cache, prompt);
  ASSERT_EQ(actual.size(), expected.size());

  const double error = max_relative_row_error(actual, expected, vocab);
  size_t top1_same = 0;
  for (size_t row = 0; row < prompt.size(); ++row)
    top1_same += argmax(actual.data() + row * vocab, vocab) == argmax(expected.data() + row * vocab, vocab);
  const double top1 = static_cast<double>(top1_same) / static_cast<double>(prompt.size());
  std::printf("[golden %s %s vs %s] max relative logit error %.3g, top-1 agreement %.3f\n", c.family.c_str(),
              c.model.c_str(), c.reference.c_str(), error, top1);

  switch (c.check) {
    case Check::kFloat32: {
      EXPECT_LT(error, 1e-4);
      const std::vector<int32_t> continuation =
          greedy_continuation(**model, *cache, actual, static_cast<int32_t>(prompt.size()), greedy.size());
      EXPECT_EQ(continuation, greedy);
      break;
    }
    case Check::kHalf: {
      EXPECT_LT(error, 1e-3);
      const std::vector<float> float32_reference = read_floats(dir / "logits.f32");
      const double error_vs_f32 = max_relative_row_error(actual, float32_reference, vocab);
      size_t same = 0;
      for (size_t row = 0; row < prompt.size(); ++row)
        same += argmax(actual.data() + row * vocab, vocab) == argmax(float32_reference.data() + row * vocab, vocab);
      const double top1_vs_f32 = static_cast<double>(same) / static_cast<double>(prompt.size());
      std::printf("[golden %s %s vs logits.f32] max relative logit error %.3g, top-1 agreement %.3f\n",
                  c.family.c_str(), c.model.c_str(), error_vs_f32, top1_vs_f32);
      EXPECT_LT(error_vs_f32, 5e-2);  // loose: the file's own rounding dominates
      EXPECT_GE(top1_vs_f32, 0.95);
      break;
    }
    case Check::kQuantized:
      EXPECT_LT(error, 1e-3);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& test_info) { return case_name(test_info.param); });

// The same model from GGUF f32 and from safetensors gives the same logits.
class GoldenFormatAgreementTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenFormatAgreementTest, GgufF32MatchesSafetensors) {
  const std::filesystem::path dir = kGolden / GetParam();
  if (!std::filesystem::exists(dir / "hf") || !std::filesystem::exists(dir / "reference.json") ||
      !std::filesystem::exists(dir / "model-f32.gguf"))
    GTEST_SKIP() << "fixture " << dir << " not present";
  const nlohmann::json reference = nlohmann::json::parse(std::ifstream(dir / "reference.json"));
  const std::vector<int32_t> prompt = reference["prompt_ids"].get<std::vector<int32_t>>();
  auto hf = load_model(dir / "hf", kExact);
  auto gguf = load_model(dir / "model-f32.gguf", kExact);
  ASSERT_TRUE(hf.ok()) << hf.error().message;
  ASSERT_TRUE(gguf.ok()) << gguf.error().message;
  auto hf_cache = make_test_runner(**hf, 1, static_cast<int32_t>(prompt.size()));
  auto gguf_cache = make_test_runner(**gguf, 1, static_cast<int32_t>(prompt.size()));
  const std::vector<float> a = prefill_all_logits(**hf, *hf_cache, prompt);
  const std::vector<float> b = prefill_all_logits(**gguf, *gguf_cache, prompt);
  ASSERT_EQ(a.size(), b.size());
  const double error = max_relative_row_error(b, a, (*hf)->config().vocab);
  std::printf("[golden %s] GGUF f32 vs safetensors max relative logit error %.3g\n", GetParam().c_str(), error);
  EXPECT_LT(error, 1e-4);
}

// With the serving default of f16 KV (K and V rounded to half precision
// as they are stored), the F32 fixtures' greedy continuations stay what
// transformers produced on at least 95% of tokens.
class GoldenHalfKvTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenHalfKvTest, GreedyContinuationMostlyUnchanged) {
  const std::filesystem::path dir = kGolden / GetParam();
  if (!std::filesystem::exists(dir / "reference.json") || !std::filesystem::exists(dir / "model-f32.gguf"))
    GTEST_SKIP() << "fixture " << dir << " not present";
  const nlohmann::json reference = nlohmann::json::parse(std::ifstream(dir / "reference.json"));
  const std::vector<int32_t> prompt = reference["prompt_ids"].get<std::vector<int32_t>>();
  const std::vector<int32_t> greedy = reference["greedy_ids"].get<std::vector<int32_t>>();
  auto model = load_model(dir / "model-f32.gguf", kExact);
  ASSERT_TRUE(model.ok()) << model.error().message;
  auto cache = make_test_runner(**model, 1, static_cast<int32_t>(prompt.size() + greedy.size() + 1), DType::F16);
  const std::vector<float> logits = prefill_all_logits(**model, *cache, prompt);
  ASSERT_FALSE(logits.empty());
  const std::vector<int32_t> continuation =
      greedy_continuation(**model, *cache, logits, static_cast<int32_t>(prompt.size()), greedy.size());
  ASSERT_EQ(continuation.size(), greedy.size());
  size_t same = 0;
  for (size_t i = 0; i < greedy.size(); ++i) same += continuation[i] == greedy[i];
  const double share = static_cast<double>(same) / static_cast<double>(greedy.size());
  std::printf("[golden %s f16 KV] greedy tokens unchanged %zu/%zu\n", GetParam().c_str(), same, greedy.size());
  EXPECT_GE(share, 0.95);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenHalfKvTest, ::testing::Values("llama", "qwen2", "qwen3", "glm", "glm4"));

INSTANTIATE_TEST_SUITE_P(Fixtures, GoldenFormatAgreementTest,
                         ::testing::Values("llama", "qwen2", "qwen3", "glm", "glm4"));

}  // namespace
}  // namespace keel::testing
