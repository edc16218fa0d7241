// End-to-end checks on tiny random models written by tiny_model.cpp:
// GGUF and safetensors of one model agree for every family (the llama Q/K
// permutation, fused GLM tensors, partial rotary, sandwich norms, llama3
// scaling), and the KV cache makes prefill, step-by-step decode and
// ragged multi-sequence batches agree.
#include <gtest/gtest.h>

#include <cstdio>

#include "forward_helpers.h"
#include "tiny_model.h"

namespace keel::testing {
namespace {

const std::vector<int32_t> kPrompt = {5, 17, 42, 3, 99, 64, 8, 23};

std::filesystem::path tiny_dir(const std::string& name) {
  return std::filesystem::path(::testing::TempDir()) / ("keel_tiny_" + name);
}

struct FormatCase {
  std::string name;
  TinyModelOptions options;
  double tolerance;  // relative to the row's max |logit|
};

class FormatAgreementTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(FormatAgreementTest, GgufMatchesSafetensors) {
  const FormatCase& param = GetParam();
  const auto dir = tiny_dir(param.name);
  ASSERT_TRUE(write_tiny_model(param.options, dir).ok());
  auto hf = load_model(dir / "hf");
  ASSERT_TRUE(hf.ok()) << hf.error().message;
  auto gguf = load_model(dir / "model.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.error().message;
  auto hf_cache = make_test_runner(**hf, 1, 64);
  auto gguf_cache = make_test_runner(**gguf, 1, 64);
  const std::vector<float> expected = prefill_all_logits(**hf, *hf_cache, kPrompt);
  const std::vector<float> actual = prefill_all_logits(**gguf, *gguf_cache, kPrompt);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(actual.size(), expected.size());
  const double error = max_relative_row_error(actual, expected, (*hf)->config().vocab);
  std::printf("[tiny %s] GGUF vs safetensors max relative logit error %.3g\n", param.name.c_str(), error);
  EXPECT_LT(error, param.tolerance);
}

INSTANTIATE_TEST_SUITE_P(
    Families, FormatAgreementTest,
    ::testing::Values(FormatCase{"llama", {Family::kLlama}, 1e-5},
                      FormatCase{"llama3_scaled", {Family::kLlama, false, true}, 1e-5},
                      FormatCase{"qwen2", {Family::kQwen2}, 1e-5},
                      FormatCase{"qwen3_tied", {Family::kQwen3, true}, 1e-5},
                      FormatCase{"glm", {Family::kGlm}, 1e-5},
                      FormatCase{"glm_fused_qkv", {Family::kGlm, false, false, true}, 1e-5},
                      FormatCase{"glm4", {Family::kGlm4}, 1e-5},
                      FormatCase{"llama_q8_0", {Family::kLlama, false, false, false, DType::Q8_0}, 5e-2},
                      FormatCase{"glm4_q8_0", {Family::kGlm4, false, false, false, DType::Q8_0}, 5e-2}),
    [](const auto& test_info) { return test_info.param.name; });

class TinyQwen2 : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test: CTest runs this fixture's tests as parallel
    // processes, and one rewriting a file another has memory-mapped kills
    // the reader with SIGBUS.
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    const auto dir = tiny_dir("qwen2_" + test);
    ASSERT_TRUE(write_tiny_model({Family::kQwen2}, dir).ok());
    auto loaded = load_model(dir / "hf");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    model = std::move(*loaded);
    vocab = model->config().vocab;
  }
  std::unique_ptr<Model> model;
  int64_t vocab = 0;
};

TEST_F(TinyQwen2, StepByStepDecodeMatchesPrefill) {
  auto cache = make_test_runner(*model, 1, 32);
  const std::vector<float> all_at_once = prefill_all_logits(*model, *cache, kPrompt);
  auto step_cache = make_test_runner(*model, 1, 32);
  std::vector<float> stepped = prefill_all_logits(*model, *step_cache, {kPrompt.begin(), kPrompt.begin() + 3});
  for (size_t i = 3; i < kPrompt.size(); ++i) {
    const std::vector<float> row = prefill_all_logits(*model, *step_cache, {kPrompt[i]}, static_cast<int32_t>(i));
    stepped.insert(stepped.end(), row.begin(), row.end());
  }
  EXPECT_LT(max_relative_row_error(stepped, all_at_once, vocab), 1e-5);
}

TEST_F(TinyQwen2, RaggedBatchOfTwoSequencesMatchesSeparateRuns) {
  const std::vector<int32_t> other = {7, 7, 1, 60, 33};
  auto cache = make_test_runner(*model, 2, 32);
  const std::vector<float> alone_a = prefill_all_logits(*model, *cache, kPrompt, 0, 0);
  const std::vector<float> alone_b = prefill_all_logits(*model, *cache, other, 0, 1);

  // Sequence A's first 5 tokens, then a mixed batch: A's last 3 interleaved with all of B.
  auto mixed_cache = make_test_runner(*model, 2, 32);
  prefill_all_logits(*model, *mixed_cache, {kPrompt.begin(), kPrompt.begin() + 5}, 0, 0);
  ForwardBatchBuilder& builder = mixed_cache->builder();
  builder.clear();
  builder.add_sequence({kPrompt.begin() + 5, kPrompt.begin() + 8}, 5, mixed_cache->blocks(0), LogitRows::kAll);
  builder.add_sequence(other, 0, mixed_cache->blocks(1), LogitRows::kLast);
  const size_t rows = 4;
  std::vector<float> logits(rows * vocab);
  ASSERT_TRUE(mixed_cache->runner().forward(builder.finish(), logits).ok());
  // Rows in batch order: A@5, A@6, A@7, B@4.
  const int64_t v = vocab;
  for (int i = 0; i < 3; ++i) {
    std::vector<float> got(logits.begin() + i * v, logits.begin() + (i + 1) * v);
    std::vector<float> want(alone_a.begin() + (5 + i) * v, alone_a.begin() + (6 + i) * v);
    EXPECT_LT(max_relative_row_error(got, want, v), 1e-5) << "A position " << 5 + i;
  }
  std::vector<float> got_b(logits.begin() + 3 * v, logits.end());
  std::vector<float> want_b(alone_b.begin() + 4 * v, alone_b.end());
  EXPECT_LT(max_relative_row_error(got_b, want_b, v), 1e-5);
}

// A batch that breaks the ForwardBatch rules is an Error that names the
// problem, and nothing runs.
TEST_F(TinyQwen2, BadBatchesAreErrors) {
  TestRunner cache(*model, 1, 32, DType::F32, /*max_batch_tokens=*/16);
  std::vector<float> logits(static_cast<size_t>(vocab));
  ForwardBatchBuilder& builder = cache.builder();
  auto one_token = [&](int32_t token, int32_t position) {
    builder.clear();
    builder.add_sequence(std::vector<int32_t>{token}, position, cache.blocks(0), LogitRows::kLast);
    return builder.finish();
  };
  auto error_of = [&](const ForwardBatch& batch, std::span<float> out) {
    const Status status = cache.runner().forward(batch, out);
    return status.ok() ? std::string("ok") : status.error().message;
  };
  EXPECT_EQ(error_of(one_token(1, 0), logits), "ok");
  EXPECT_NE(error_of(one_token(100000, 0), logits).find("outside the vocabulary"), std::string::npos);
  std::vector<float> short_logits(3);
  EXPECT_NE(error_of(one_token(1, 0), short_logits).find("logits span"), std::string::npos);

  // Hand-made arrays: each one breaks one rule.
  std::vector<int32_t> tokens = {1}, positions = {0}, slots = {0}, starts = {0, 1}, lens = {1}, table = {0},
                       rows = {0};
  auto batch = [&] {
    ForwardBatch b;
    b.n_tokens = 1;
    b.n_seqs = 1;
    b.max_blocks_per_seq = 1;
    b.tokens = tokens, b.positions = positions, b.slot_mapping = slots, b.query_start = starts;
    b.seq_lens = lens, b.block_tables = table, b.logit_rows = rows;
    return b;
  };
  EXPECT_EQ(error_of(batch(), logits), "ok");
  positions = {3};
  EXPECT_NE(error_of(batch(), logits).find("position"), std::string::npos);
  positions = {0}, slots = {5};
  EXPECT_NE(error_of(batch(), logits).find("KV slot"), std::string::npos);
  slots = {0}, table = {99};
  EXPECT_NE(error_of(batch(), logits).find("outside the pool"), std::string::npos);
  table = {0}, lens = {40};
  EXPECT_NE(error_of(batch(), logits).find("beyond its block table"), std::string::npos);
  lens = {1}, rows = {1};
  EXPECT_NE(error_of(batch(), logits).find("logit rows"), std::string::npos);
  rows = {0}, starts = {0, 0};
  EXPECT_NE(error_of(batch(), logits).find("query_start"), std::string::npos);

  // More rows than the runner's max_batch_tokens.
  TestRunner wide(*model, 1, 32, DType::F32, /*max_batch_tokens=*/32);
  wide.builder().add_sequence(std::vector<int32_t>(17, 1), 0, wide.blocks(0), LogitRows::kNone);
  EXPECT_NE(error_of(wide.builder().finish(), {}).find("exceeds max_batch_tokens"), std::string::npos);
}

TEST_F(TinyQwen2, DescriptionNamesFamilyAndParameters) {
  const std::string text = model->description();
  EXPECT_NE(text.find("qwen2"), std::string::npos) << text;
  EXPECT_NE(text.find("parameters:"), std::string::npos) << text;
  EXPECT_NE(text.find("f32"), std::string::npos) << text;
}

}  // namespace
}  // namespace keel::testing
