// Everything a decode step does on the host besides the forward pass, per
// token, at Qwen's vocabulary of 151,936 logits (issue 11): sampling, the
// incremental detokenizer with its stop checks, and the prefix cache's
// block keys. Not a test: it measures, and prints each figure as the median
// of repetitions in microseconds per token.
//
//   ninja -C build/release keel_decode_overhead_bench
//   build/release/bench/keel_decode_overhead_bench [--vocab FILE.gguf] [--reps N]
//
// --vocab is a GGUF with a tokenizer (default: Qwen2's, from
// ../shared/testdata/vocab next to the repository); without one the
// detokenizer rows are skipped.
//
// The sampling rows run on two kinds of logits: "peaked", shaped like a
// language model's (a handful of likely tokens well above a bulk of
// 152k, so a top-p nucleus holds a few tokens), and "flat" (every logit
// from one normal distribution: a random-weight model, where the nucleus
// is most of the vocabulary, the worst case for top-p). The old rows are
// the sampler as it was before issue 11 (a sort of the whole vocabulary),
// kept here only to compare.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine/sampler.h"
#include "engine/stop_checker.h"
#include "engine/token_texts.h"
#include "engine/utf8_stream.h"
#include "format/gguf.h"
#include "kv/block_hash.h"
#include "kv/block_manager.h"
#include "tokenizer/tokenizer.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int32_t kVocab = 151936;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double microseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// ---------------------------------------------------------------- sampling

std::vector<float> peaked_logits(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> bulk(0.0f, 2.0f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = bulk(rng);
  // Twenty plausible next tokens at scattered ids, 12 to 18 above the bulk.
  std::uniform_int_distribution<int32_t> id(0, kVocab - 1);
  for (int i = 0; i < 20; ++i) logits[id(rng)] = 18.0f - 0.3f * static_cast<float>(i);
  return logits;
}

std::vector<float> flat_logits(uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = normal(rng);
  return logits;
}

// The sampler's draw before issue 11: sort every token by logit (partially
// for top-k), softmax over the kept, walk top-p and min-p, draw in order.
struct FullSortSampler {
  SamplingParams params;
  std::mt19937_64 rng{params.seed};
  std::vector<int32_t> candidates = std::vector<int32_t>(kVocab);
  std::vector<float> probs = std::vector<float>(kVocab);

  int32_t sample(std::span<float> logits) {
    const float inverse_temperature = 1.0f / params.temperature;
    for (float& l : logits) l *= inverse_temperature;
    const auto vocab = static_cast<int32_t>(logits.size());
    std::iota(candidates.begin(), candidates.begin() + vocab, 0);
    auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    int32_t kept = vocab;
    if (params.top_k > 0 && params.top_k < vocab) {
      kept = params.top_k;
      std::partial_sort(candidates.begin(), candidates.begin() + kept, candidates.begin() + vocab, by_logit);
    } else {
      std::sort(candidates.begin(), candidates.begin() + vocab, by_logit);
    }
    const float top = logits[candidates[0]];
    double total = 0;
    for (int32_t i = 0; i < kept; ++i) {
      probs[i] = std::exp(logits[candidates[i]] - top);
      total += probs[i];
    }
    for (int32_t i = 0; i < kept; ++i) probs[i] = static_cast<float>(probs[i] / total);
    if (params.top_p < 1.0f) {
      double mass = 0;
      int32_t i = 0;
      while (i < kept) {
        mass += probs[i];
        ++i;
        if (mass >= params.top_p) break;
      }
      kept = std::max<int32_t>(i, 1);
    }
    if (params.min_p > 0.0f) {
      const float floor = params.min_p * probs[0];
      int32_t i = 1;
      while (i < kept && probs[i] >= floor) ++i;
      kept = i;
    }
    double kept_mass = 0;
    for (int32_t i = 0; i < kept; ++i) kept_mass += probs[i];
    const double u = std::uniform_real_distribution<double>(0.0, kept_mass)(rng);
    double running = 0;
    for (int32_t i = 0; i < kept; ++i) {
      running += probs[i];
      if (u < running) return candidates[i];
    }
    return candidates[kept - 1];
  }
};

// Median microseconds of one sample() on a fresh copy of `logits` (the
// copy is not timed: the engine samples its logits row in place).
template <class Sample>
double time_sampling(const std::vector<float>& logits, int reps, Sample sample) {
  std::vector<float> row(logits.size());
  std::vector<double> us;
  for (int r = 0; r < reps + 2; ++r) {
    std::copy(logits.begin(), logits.end(), row.begin());
    const auto start = Clock::now();
    volatile int32_t token = sample(std::span<float>(row));
    (void)token;
    if (r >= 2) us.push_back(microseconds_since(start));  // two warm-ups
  }
  return median(us);
}

struct SamplingCase {
  const char* name;
  SamplingParams params;
  bool old_too;  // also time the full-sort sampler
};

SamplingParams sampling(float temperature, int32_t top_k, float top_p, float min_p) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.min_p = min_p;
  p.seed = 1;
  return p;
}

void bench_sampling(int reps) {
  std::printf("Sampling, %d logits: microseconds per token, median of %d\n", kVocab, reps);
  std::printf("%-40s %10s %10s %10s %10s %16s\n", "", "peaked", "old", "flat", "old", "kept");
  const SamplingCase cases[] = {
      {"greedy (argmax)", sampling(0.0f, 0, 1.0f, 0.0f), false},
      {"temperature 1 (no filter)", sampling(1.0f, 0, 1.0f, 0.0f), true},
      {"temperature 0.7, top_p 0.9", sampling(0.7f, 0, 0.9f, 0.0f), true},
      {"temperature 0.7, top_k 40", sampling(0.7f, 40, 1.0f, 0.0f), true},
      {"temperature 0.7, top_k 40, top_p 0.9", sampling(0.7f, 40, 0.9f, 0.0f), true},
      {"temperature 0.7, min_p 0.05", sampling(0.7f, 0, 1.0f, 0.05f), true},
  };
  const std::vector<float> peaked = peaked_logits(1), flat = flat_logits(2);
  for (const SamplingCase& c : cases) {
    std::printf("%-40s", c.name);
    for (const std::vector<float>* logits : {&peaked, &flat}) {
      Sampler sampler(kVocab, c.params);
      std::printf(" %10.1f", time_sampling(*logits, reps, [&](std::span<float> row) {
                    return sampler.sample(row, {}, {});
                  }));
      if (c.old_too) {
        FullSortSampler old{c.params};
        std::printf(" %10.1f", time_sampling(*logits, std::max(5, reps / 10), [&](std::span<float> row) {
                      return old.sample(row);
                    }));
      } else {
        std::printf(" %10s", "-");
      }
    }
    // How many tokens the filters keep (at the temperature), peaked / flat.
    if (c.params.greedy() || (c.params.top_k == 0 && c.params.top_p == 1.0f && c.params.min_p == 0.0f)) {
      std::printf(" %16s\n", "-");
    } else {
      size_t kept[2];
      for (int i = 0; i < 2; ++i) {
        Sampler sampler(kVocab, c.params);
        std::vector<float> row = i == 0 ? peaked : flat;
        for (float& l : row) l /= c.params.temperature;
        kept[i] = sampler.keep(row).size();
      }
      std::printf(" %7zu / %6zu\n", kept[0], kept[1]);
    }
  }

  // The optional passes: logprobs (on a raw copy, as the engine does) and
  // the penalties, which walk the prompt and the generated tokens.
  Sampler plain(kVocab, sampling(0.7f, 0, 0.9f, 0.0f));
  std::vector<TokenLogprob> top(5);
  std::printf("%-40s %10.1f\n", "logprobs with 5 alternatives", time_sampling(peaked, reps, [&](std::span<float> row) {
                return static_cast<int32_t>(plain.logprobs(row, 7, top) < 0);
              }));
  for (int32_t context : {1024, 4096, 16384}) {
    SamplingParams p = sampling(0.7f, 0, 0.9f, 0.0f);
    p.repetition_penalty = 1.1f;
    p.presence_penalty = 0.5f;
    p.frequency_penalty = 0.5f;
    Sampler penalised(kVocab, p);
    std::mt19937 rng(3);
    std::uniform_int_distribution<int32_t> id(0, kVocab - 1);
    std::vector<int32_t> history(static_cast<size_t>(context));
    for (int32_t& t : history) t = id(rng);
    const std::span<const int32_t> prompt = std::span(history).first(history.size() * 3 / 4);
    const std::span<const int32_t> generated = std::span(history).subspan(prompt.size());
    char name[64];
    std::snprintf(name, sizeof name, "  + all three penalties, context %d", context);
    const double with = time_sampling(peaked, reps, [&](std::span<float> row) {
      return penalised.sample(row, prompt, generated);
    });
    std::printf("%-40s %10.1f\n", name, with);
  }
  std::printf("\n");
}

// ------------------------------------------------- detokenizer, stop checks

// A passage of mixed text (prose, code, CJK, emoji, a split multi-byte
// character or two once tokenized), repeated to `tokens` tokens.
std::vector<int32_t> passage_tokens(const Tokenizer& tokenizer, size_t tokens) {
  const std::string text =
      "The engine thread owns the scheduler, the KV blocks and the model; each step it builds one batch. "
      "for (int i = 0; i < n; ++i) { sum += weights[i] * x[i]; }\n"
      "推理服务器在每一步为每个序列采样一个词元。 Ünïcödé, naïve café — “quotes” and 🚀🦀✨ emoji.\n\n";
  const std::vector<int32_t> once = tokenizer.encode(text, /*add_bos=*/false, /*parse_special=*/false);
  std::vector<int32_t> out;
  while (out.size() < tokens) out.insert(out.end(), once.begin(), once.end());
  out.resize(tokens);
  return out;
}

// Median microseconds per token of what accept_token does with a token's
// text: its bytes, whole UTF-8 characters, the stop checker.
double time_detokenize(const TokenTexts& texts, const std::vector<int32_t>& tokens,
                       const std::vector<std::string>& stops, int reps) {
  std::vector<double> us;
  for (int r = 0; r < reps; ++r) {
    Utf8Stream utf8(texts.longest());
    StopChecker checker(stops);
    std::string decoded, released;
    decoded.reserve(3 * (texts.longest() + 4));
    released.reserve(decoded.capacity() + 256);
    size_t bytes = 0;
    const auto start = Clock::now();
    for (int32_t t : tokens) {
      decoded.clear();
      released.clear();
      utf8.push(texts.bytes(t), decoded);
      checker.push_into(decoded, released);
      bytes += released.size();
    }
    us.push_back(microseconds_since(start) / static_cast<double>(tokens.size()));
    if (bytes == 0) std::printf("(nothing released)\n");
  }
  return median(us);
}

void bench_detokenizer(const std::filesystem::path& vocab_path, int reps) {
  if (!std::filesystem::exists(vocab_path)) {
    std::printf("Detokenizer: skipped (no vocabulary at %s; pass --vocab)\n\n", vocab_path.c_str());
    return;
  }
  auto file = GgufFile::open(vocab_path);
  if (!file.ok()) {
    std::printf("Detokenizer: skipped (%s)\n\n", file.error().message.c_str());
    return;
  }
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer.ok()) {
    std::printf("Detokenizer: skipped (%s)\n\n", tokenizer.error().message.c_str());
    return;
  }
  const TokenTexts texts(*tokenizer, tokenizer->vocab_size());
  std::printf("Detokenizer + stop checks (%s, %d tokens): microseconds per token, median of %d\n",
              vocab_path.filename().c_str(), tokenizer->vocab_size(), reps);
  const std::vector<std::string> none, two = {"<|im_end|>", "\n\nUser:"},
                                       four_long = {std::string(32, 'x') + "never", "\n\n### Instruction:\n",
                                                    "<|endoftext|><|im_start|>user", "END OF TRANSCRIPT"};
  std::printf("%-40s %10s %10s %10s\n", "", "1k tokens", "16k tokens", "");
  for (const auto& [name, stops] : {std::pair{"no stop strings", &none}, std::pair{"2 stop strings", &two},
                                    std::pair{"4 stop strings, up to 37 bytes", &four_long}}) {
    std::printf("%-40s", name);
    for (size_t length : {size_t{1024}, size_t{16384}})
      std::printf(" %10.3f", time_detokenize(texts, passage_tokens(*tokenizer, length), *stops, reps));
    std::printf("\n");
  }
  // The worst a request may ask for (16 stop strings of 1024 bytes, the
  // server's limits) on text that keeps matching their beginnings.
  std::vector<std::string> adversarial;
  for (int i = 0; i < 16; ++i) adversarial.push_back(std::string(1023, 'a') + static_cast<char>('b' + i));
  std::printf("%-40s", "16 stop strings of 1024 bytes, text aaa…");
  for (size_t length : {size_t{1024}, size_t{16384}}) {
    std::vector<int32_t> tokens = tokenizer->encode(std::string(length * 4, 'a'), false, false);
    tokens.resize(std::min(tokens.size(), length));
    std::printf(" %10.3f", time_detokenize(texts, tokens, adversarial, 3));
  }
  std::printf("\n\n");
}

// ------------------------------------------------------------- block keys

void bench_block_keys(int reps) {
  constexpr int32_t kBlockSize = 16;
  std::printf("Prefix-cache block keys (block size %d): microseconds per token, median of %d\n", kBlockSize, reps);
  std::mt19937 rng(4);
  std::uniform_int_distribution<int32_t> id(0, kVocab - 1);
  std::printf("%-40s %10s %10s\n", "", "1k tokens", "16k tokens");
  std::printf("%-40s", "block_key, one call per full block");
  for (int32_t length : {1024, 16384}) {
    std::vector<int32_t> tokens(static_cast<size_t>(length));
    for (int32_t& t : tokens) t = id(rng);
    std::vector<double> us;
    for (int r = 0; r < reps; ++r) {
      uint64_t key = kRootBlockKey;
      const auto start = Clock::now();
      for (int32_t b = 0; b + kBlockSize <= length; b += kBlockSize)
        key = block_key(key, std::span(tokens).subspan(static_cast<size_t>(b), kBlockSize));
      us.push_back(microseconds_since(start) / length);
      if (key == 0) std::printf("(zero key)\n");
    }
    std::printf(" %10.4f", median(us));
  }
  std::printf("\n");

  // What the engine calls after every step: commit the blocks the step
  // filled (hash, index, copy of the tokens), here one token per step.
  std::printf("%-40s", "commit_full_blocks, one call per token");
  for (int32_t length : {1024, 16384}) {
    std::vector<int32_t> tokens(static_cast<size_t>(length));
    for (int32_t& t : tokens) t = id(rng);
    const int32_t blocks = length / kBlockSize + 1;
    BlockManager manager(BlockPoolShape{blocks, kBlockSize}, EvictionPolicyKind::kSlru, /*prefix_cache=*/true);
    std::vector<double> us;
    for (int r = 0; r < reps; ++r) {
      tokens[0] = r;  // a new sequence each time, so every block is published afresh
      BlockTable table(blocks);
      if (!manager.grow(table, length)) std::printf("(no blocks)\n");
      const auto start = Clock::now();
      for (int32_t computed = 1; computed <= length; ++computed) manager.commit_full_blocks(table, tokens, computed);
      us.push_back(microseconds_since(start) / length);
      manager.release(table);
    }
    std::printf(" %10.4f", median(us));
  }
  std::printf("\n\n");
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) {
  std::filesystem::path vocab =
      std::filesystem::path(KEEL_SOURCE_DIR) / ".." / "shared" / "testdata" / "vocab" / "ggml-vocab-qwen2.gguf";
  int reps = 51;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--vocab") == 0) vocab = argv[i + 1];
    else if (std::strcmp(argv[i], "--reps") == 0) reps = std::max(1, std::atoi(argv[i + 1]));
  }
  keel::bench::bench_sampling(reps);
  keel::bench::bench_detokenizer(vocab, std::max(3, reps / 5));
  keel::bench::bench_block_keys(std::max(3, reps / 5));
  return 0;
}
