// Guarantee 8 (measured, not run in CI): aggregate decode throughput grows
// with the number of concurrent sequences, because a step reads every
// weight once for all of them. Writes a llama-shaped model with random
// weights to the temporary directory (Q8_0, 193 MB; KEEL_BENCH_DTYPE=f32
// gives the memory-bound 726 MB model of the guarantee, f16 363 MB), then
// decodes with 1, 2, 4, 8 and 16 sequences, reporting the median of
// repeated runs. Figures: docs/performance.md.
//
//   KEEL_BENCH_DTYPE=f32 engine_bench --gtest_also_run_disabled_tests
// KEEL_BENCH_EXACT=1 runs the CPU backend's exact kernels (--exact-kernels)
// instead of the default integer-dot ones.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "core/dequantize.h"
#include "engine_test_support.h"
#include "format/gguf_writer.h"

namespace keel::testing {
namespace {

constexpr int64_t kHidden = 1024, kLayers = 16, kHeads = 16, kKvHeads = 4, kFfn = 2816, kVocab = 497;

// KEEL_BENCH_DTYPE: the weights' type, q8_0 (default), f16 or f32.
DType bench_dtype() {
  const char* env = std::getenv("KEEL_BENCH_DTYPE");
  const std::optional<DType> parsed = env != nullptr ? dtype_from_name(env) : std::optional<DType>(DType::Q8_0);
  KEEL_CHECK(parsed.has_value(), "KEEL_BENCH_DTYPE: unknown type");
  return *parsed;
}

void add_weight(GgufWriter& writer, const std::string& name, int64_t rows, int64_t cols, DType type,
                std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(cols));
  const size_t row_bytes = dtype_row_bytes(type, cols);
  std::vector<std::byte> data(row_bytes * static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = normal(rng);
    KEEL_CHECK(quantize_row(type, row.data(), data.data() + r * row_bytes, cols), "KEEL_BENCH_DTYPE: cannot encode");
  }
  writer.add_tensor(name, type, {rows, cols}, data);
}

void add_norm(GgufWriter& writer, const std::string& name) {
  std::vector<float> ones(kHidden, 1.0f);
  writer.add_tensor(name, DType::F32, {kHidden}, std::as_bytes(std::span(ones)));
}

std::filesystem::path write_bench_model(DType type) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("keel-bench-llama-" + std::string(dtype_info(type).name) + ".gguf");
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
  add_weight(w, "token_embd.weight", kVocab, kHidden, type, rng);
  add_norm(w, "output_norm.weight");
  add_weight(w, "output.weight", kVocab, kHidden, type, rng);
  const int64_t head_dim = kHidden / kHeads;
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add_norm(w, p + "attn_norm.weight");
    add_weight(w, p + "attn_q.weight", kHidden, kHidden, type, rng);
    add_weight(w, p + "attn_k.weight", kKvHeads * head_dim, kHidden, type, rng);
    add_weight(w, p + "attn_v.weight", kKvHeads * head_dim, kHidden, type, rng);
    add_weight(w, p + "attn_output.weight", kHidden, kHidden, type, rng);
    add_norm(w, p + "ffn_norm.weight");
    add_weight(w, p + "ffn_gate.weight", kFfn, kHidden, type, rng);
    add_weight(w, p + "ffn_up.weight", kFfn, kHidden, type, rng);
    add_weight(w, p + "ffn_down.weight", kHidden, kFfn, type, rng);
  }
  KEEL_CHECK(w.write(path).ok(), "cannot write the bench model");
  return path;
}

// Decode tokens per second of `sequences` concurrent greedy requests (4
// prompt tokens, 40 generated), prefill excluded.
double decode_rate(Model& model, const Tokenizer& tokenizer, int32_t sequences) {
  EngineOptions options;
  options.max_seqs = 16;
  options.max_batch_tokens = 64;
  options.max_context = 256;
  auto engine = Engine::create(model, tokenizer, options).value();
  std::mt19937 rng(1);
  std::vector<RequestHandle> handles;
  for (int32_t i = 0; i < sequences; ++i)
    handles.push_back(engine->submit(greedy_request(random_prompt(rng, 4), 40)).value());
  engine->step_once();  // prefill all prompts (one step), not timed
  const uint64_t generated_before = engine->stats().tokens_generated;
  const auto start = std::chrono::steady_clock::now();
  run_to_completion(*engine, handles);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(engine->stats().tokens_generated - generated_before) / seconds;
}

// KEEL_BENCH_SEQUENCES="1,8" picks the concurrencies (default 1,2,4,8,16);
// KEEL_BENCH_REPEATS the runs per concurrency (default 5, median reported).
std::vector<int32_t> bench_sequences() {
  const char* env = std::getenv("KEEL_BENCH_SEQUENCES");
  if (env == nullptr) return {1, 2, 4, 8, 16};
  std::vector<int32_t> out;
  for (const char* p = env; *p != '\0';) {
    char* end = nullptr;
    const long value = std::strtol(p, &end, 10);
    if (end == p) break;
    if (value > 0 && value <= 16) out.push_back(static_cast<int32_t>(value));
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

TEST(EngineThroughput, DISABLED_DecodeScalesWithConcurrency) {
  const DType type = bench_dtype();
  const std::filesystem::path path = write_bench_model(type);
  LoadOptions load;
  load.exact_kernels = std::getenv("KEEL_BENCH_EXACT") != nullptr;
  auto model = load_model(path, load).value();
  // The tiny llama fixture supplies a tokenizer of the same vocabulary size.
  const std::string tokenizer_path = std::string(KEEL_SOURCE_DIR) + "/tests/golden/llama/model-f32.gguf";
  const ModelFiles files = load_model_files(tokenizer_path).value();
  const char* repeats_env = std::getenv("KEEL_BENCH_REPEATS");
  const int repeats = repeats_env != nullptr ? std::max(1, std::atoi(repeats_env)) : 5;
  std::printf("model: llama-shaped, hidden %lld, %lld layers, ffn %lld, %s, %.0f MB, %s kernels; median of %d runs\n",
              static_cast<long long>(kHidden), static_cast<long long>(kLayers), static_cast<long long>(kFfn),
              std::string(dtype_info(type).name).c_str(),
              static_cast<double>(std::filesystem::file_size(path)) / 1e6, load.exact_kernels ? "exact" : "fast",
              repeats);
  // Rounds interleave the concurrencies, so that a slow spell of a shared
  // machine lands on all of them rather than on one.
  const std::vector<int32_t> concurrencies = bench_sequences();
  std::vector<std::vector<double>> rates(concurrencies.size());
  for (int run = 0; run < repeats; ++run)
    for (size_t c = 0; c < concurrencies.size(); ++c)
      rates[c].push_back(decode_rate(*model, files.tokenizer, concurrencies[c]));
  double single = 0.0;
  for (size_t c = 0; c < concurrencies.size(); ++c) {
    std::sort(rates[c].begin(), rates[c].end());
    const double median = rates[c][rates[c].size() / 2];
    if (concurrencies[c] == 1) single = median;
    std::printf("%2d sequences: %8.1f decode tokens/s (min %.1f, max %.1f)", concurrencies[c], median,
                rates[c].front(), rates[c].back());
    if (single > 0.0) std::printf("  %.2fx one sequence", median / single);
    std::printf("\n");
  }
}

}  // namespace
}  // namespace keel::testing
