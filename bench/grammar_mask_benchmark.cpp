// The cost of constrained decoding per token (issue 15): the time to
// work out the allowed tokens of one step (GrammarMatcher::allowed_tokens)
// and to move past the chosen token (accept), on Qwen2's vocabulary of
// 151,936 tokens, for any JSON object and for a nested JSON schema. Also
// the one-off compile per grammar. Not a test: it measures, and prints
// medians in microseconds.
//
//   cmake --build build/release --target keel_grammar_mask_bench
//   build/release/bench/keel_grammar_mask_bench [--vocab FILE.gguf] [--reps N]
//
// Each grammar is run along a realistic output: a JSON document that
// matches it, tokenized by the model's tokenizer, fed token by token. The
// target is at most 100 microseconds per token (issue 15).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/grammar_mask.h"
#include "engine/token_texts.h"
#include "format/gguf.h"
#include "grammar/gbnf_parser.h"
#include "grammar/grammar_matcher.h"
#include "grammar/json_schema.h"
#include "tokenizer/tokenizer.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

double microseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

constexpr const char* kNestedSchema = R"({
  "type": "object",
  "properties": {
    "city": {"type": "string"},
    "country": {"type": "string", "maxLength": 40},
    "population": {"type": "integer"},
    "coordinates": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
                    "required": ["lat", "lon"], "additionalProperties": false},
    "districts": {"type": "array", "items": {"$ref": "#/$defs/district"}},
    "capital": {"type": "boolean"},
    "climate": {"enum": ["oceanic", "continental", "mediterranean", "arid"]}
  },
  "required": ["city", "country", "population", "coordinates", "districts", "capital", "climate"],
  "additionalProperties": false,
  "$defs": {"district": {"type": "object", "properties": {"name": {"type": "string"}, "area_km2": {"type": ["number", "null"]}},
                         "required": ["name", "area_km2"], "additionalProperties": false}}
})";

constexpr const char* kDocument =
    R"({"city": "Paris", "country": "France", "population": 2102650, "coordinates": {"lat": 48.8566, "lon": 2.3522}, )"
    R"("districts": [{"name": "Louvre", "area_km2": 1.83}, {"name": "Bourse", "area_km2": 0.99}, )"
    R"({"name": "Temple", "area_km2": null}], "capital": true, "climate": "oceanic"})";

void run(const char* label, const std::string& gbnf, const Tokenizer& tokenizer,
         const std::shared_ptr<const grammar::Vocabulary>& vocabulary, int reps) {
  auto grammar = grammar::parse_gbnf(gbnf);
  if (!grammar.ok()) {
    std::printf("%s: %s\n", label, grammar.error().message.c_str());
    return;
  }
  const auto compile_start = Clock::now();
  auto compiled = grammar::CompiledGrammar::compile(std::move(grammar).value(), vocabulary);
  const double compile_ms = microseconds_since(compile_start) / 1000.0;
  if (!compiled.ok()) {
    std::printf("%s: %s\n", label, compiled.error().message.c_str());
    return;
  }
  const auto& stats = compiled.value()->stats();
  const std::vector<int32_t> tokens = tokenizer.encode(kDocument, false, false);
  std::vector<double> mask_us, apply_us, accept_us;
  std::vector<float> logits(static_cast<size_t>(vocabulary->size()), 0.5f);
  grammar::MatcherScratch scratch(vocabulary->size(), vocabulary->longest());
  for (int rep = 0; rep < reps; ++rep) {
    grammar::GrammarMatcher matcher(compiled.value());
    for (const int32_t token : tokens) {
      auto t0 = Clock::now();
      matcher.allowed_tokens(scratch);
      mask_us.push_back(microseconds_since(t0));
      if (!((scratch.allowed[static_cast<size_t>(token) / 64] >> (token % 64)) & 1)) {
        std::printf("%s: the document's token '%s' is not allowed: the grammar and the document disagree\n", label,
                    std::string(vocabulary->bytes(token)).c_str());
        return;
      }
      // The whole engine step: allowed tokens, then the logits row masked.
      grammar::GrammarMatcher copy = matcher;
      t0 = Clock::now();
      mask_logits(copy, scratch, logits, {}, true);
      apply_us.push_back(microseconds_since(t0));
      t0 = Clock::now();
      if (!matcher.accept(vocabulary->bytes(token), scratch)) return;
      accept_us.push_back(microseconds_since(t0));
    }
  }
  std::printf("%-22s compile %7.1f ms (%d positions, at most %d undecided tokens)\n"
              "%-22s allowed_tokens p50 %6.1f us  p90 %6.1f us  max %7.1f us;  with the logits row masked (mask_logits)"
              " p50 %6.1f us  p90 %6.1f us;  accept p50 %5.1f us   (%zu tokens x %d)\n",
              label, compile_ms, stats.positions, stats.most_undecided, "", percentile(mask_us, 0.5),
              percentile(mask_us, 0.9), percentile(mask_us, 1.0), percentile(apply_us, 0.5), percentile(apply_us, 0.9),
              percentile(accept_us, 0.5), tokens.size(), reps);
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) {
  using namespace keel;
  std::filesystem::path vocab_path = std::filesystem::path(KEEL_SOURCE_DIR) / "../shared/testdata/vocab/ggml-vocab-qwen2.gguf";
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--vocab")) vocab_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--reps")) reps = std::max(1, std::atoi(argv[i + 1]));
  }
  auto file = GgufFile::open(vocab_path);
  if (!file.ok()) {
    std::printf("no vocabulary: %s (pass --vocab FILE.gguf)\n", file.error().message.c_str());
    return 1;
  }
  auto tokenizer = Tokenizer::from_gguf(*file);
  if (!tokenizer.ok()) {
    std::printf("%s\n", tokenizer.error().message.c_str());
    return 1;
  }
  const TokenTexts texts(*tokenizer, tokenizer->vocab_size());
  std::vector<std::string> pieces;
  for (int32_t id = 0; id < tokenizer->vocab_size(); ++id) pieces.emplace_back(texts.bytes(id));
  const auto vocabulary = std::make_shared<const grammar::Vocabulary>(pieces);
  std::printf("Constrained decoding on %s (%d tokens); the document is %zu bytes\n", vocab_path.filename().c_str(),
              vocabulary->size(), std::strlen(bench::kDocument));
  bench::run("any JSON object", grammar::json_object_gbnf(), *tokenizer, vocabulary, reps);
  auto schema = grammar::json_schema_to_gbnf(nlohmann::ordered_json::parse(bench::kNestedSchema));
  if (!schema.ok()) {
    std::printf("%s\n", schema.error().message.c_str());
    return 1;
  }
  bench::run("nested JSON schema", schema.value(), *tokenizer, vocabulary, reps);
  return 0;
}
