// Guarantee 8 (measured, not run in CI): aggregate decode throughput grows
// with the number of concurrent sequences, because a step reads every
// weight once for all of them. Writes a llama-shaped Q8_0 model with random
// weights (~190 MB, memory-bound on the CPU) to /tmp, then decodes with
// 1, 2, 4, 8 and 16 sequences.
//
//   engine_bench --gtest_also_run_disabled_tests
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "core/dequantize.h"
#include "engine_test_support.h"
#include "format/gguf_writer.h"

namespace keel::testing {
namespace {

constexpr int64_t kHidden = 1024, kLayers = 16, kHeads = 16, kKvHeads = 4, kFfn = 2816, kVocab = 497;

void add_q8_tensor(GgufWriter& writer, const std::string& name, int64_t rows, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(cols));
  const size_t row_bytes = dtype_row_bytes(DType::Q8_0, cols);
  std::vector<std::byte> data(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = normal(rng);
    quantize_row(DType::Q8_0, row.data(), data.data() + r * row_bytes, cols);
  }
  writer.add_tensor(name, DType::Q8_0, {rows, cols}, data);
}

void add_norm(GgufWriter& writer, const std::string& name) {
  std::vector<float> ones(kHidden, 1.0f);
  writer.add_tensor(name, DType::F32, {kHidden}, std::as_bytes(std::span(ones)));
}

std::filesystem::path write_bench_model() {
  const std::filesystem::path path = "/tmp/keel-bench-llama-q8_0.gguf";
  if (std::filesystem::exists(path)) return path;
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_uint32("llama.block_count", kLayers);
  w.add_uint32("llama.context_length", 2048);
  w.add_uint32("llama.embedding_length", kHidden);
  w.add_uint32("llama.feed_forward_length", kFfn);
  w.add_uint32("llama.attention.head_count", kHeads);
  w.add_uint32("llama.attention.head_count_kv", kKvHeads);
  w.add_float32("llama.rope.freq_base", 10000.0f);
  w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.add_uint32("llama.vocab_size", kVocab);
  std::mt19937 rng(42);
  add_q8_tensor(w, "token_embd.weight", kVocab, kHidden, rng);
  add_norm(w, "output_norm.weight");
  add_q8_tensor(w, "output.weight", kVocab, kHidden, rng);
  const int64_t head_dim = kHidden / kHeads;
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add_norm(w, p + "attn_norm.weight");
    add_q8_tensor(w, p + "attn_q.weight", kHidden, kHidden, rng);
    add_q8_tensor(w, p + "attn_k.weight", kKvHeads * head_dim, kHidden, rng);
    add_q8_tensor(w, p + "attn_v.weight", kKvHeads * head_dim, kHidden, rng);
    add_q8_tensor(w, p + "attn_output.weight", kHidden, kHidden, rng);
    add_norm(w, p + "ffn_norm.weight");
    add_q8_tensor(w, p + "ffn_gate.weight", kFfn, kHidden, rng);
    add_q8_tensor(w, p + "ffn_up.weight", kFfn, kHidden, rng);
    add_q8_tensor(w, p + "ffn_down.weight", kHidden, kFfn, rng);
  }
  KEEL_CHECK(w.write(path).ok(), "cannot write the bench model");
  return path;
}

TEST(EngineThroughput, DISABLED_DecodeScalesWithConcurrency) {
  const std::filesystem::path path = write_bench_model();
  auto model = load_model(path, LoadOptions{64}).value();
  // The tiny llama fixture supplies a tokenizer of the same vocabulary size.
  const std::string tokenizer_path = std::string(KEEL_SOURCE_DIR) + "/tests/golden/llama/model-f32.gguf";
  const ModelFiles files = load_model_files(tokenizer_path).value();
  std::printf("model: llama-shaped, hidden %lld, %lld layers, ffn %lld, Q8_0, %.0f MB\n",
              static_cast<long long>(kHidden), static_cast<long long>(kLayers), static_cast<long long>(kFfn),
              static_cast<double>(std::filesystem::file_size(path)) / 1e6);
  double single = 0.0;
  for (int32_t sequences : {1, 2, 4, 8, 16}) {
    EngineOptions options;
    options.max_seqs = 16;
    options.max_batch_tokens = 64;
    options.max_context = 256;
    auto engine = Engine::create(*model, files.tokenizer, options).value();
    std::mt19937 rng(1);
    std::vector<RequestHandle> handles;
    for (int32_t i = 0; i < sequences; ++i)
      handles.push_back(engine->submit(greedy_request(random_prompt(rng, 4), 40)).value());
    engine->step_for_test();  // prefill all prompts (one step), not timed
    const uint64_t generated_before = engine->stats().tokens_generated;
    const auto start = std::chrono::steady_clock::now();
    run_to_completion(*engine, handles);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rate = static_cast<double>(engine->stats().tokens_generated - generated_before) / seconds;
    if (sequences == 1) single = rate;
    std::printf("%2d sequences: %8.1f decode tokens/s  (%.2fx one sequence)\n", sequences, rate, rate / single);
  }
}

}  // namespace
}  // namespace keel::testing
