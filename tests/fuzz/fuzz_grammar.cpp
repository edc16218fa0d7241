// libFuzzer target: the grammar engine of structured output and tool calls
// (issue 15). The input is a grammar — GBNF text, or a JSON schema when it
// starts with '{' — then a 0 byte, then a stream of choices. The grammar is
// parsed (or compiled from the schema) and prepared against a small
// vocabulary; each choice byte then picks a token: among the allowed ones
// (which must then be accepted) or any token (which the matcher must
// refuse without harm when not allowed). Any input must give a clean error
// or a matcher that keeps these promises: never a crash, a hang or an
// unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "grammar/compiled_grammar.h"
#include "grammar/gbnf_parser.h"
#include "grammar/grammar_matcher.h"
#include "grammar/json_schema.h"

namespace {

std::shared_ptr<const keel::grammar::Vocabulary> vocabulary() {
  static const auto vocab = [] {
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
    tokens.push_back("");  // a control token
    for (const char* piece : {"{\"", "\":", "\",", "\"}", "true", "null", "<tool_call>", "</tool_call>", "\xC3\xA9",
                              "\xE2\x82", "ab", "abc", "123", "\\u00", "  ", "\n"})
      tokens.push_back(piece);
    return std::make_shared<const keel::grammar::Vocabulary>(tokens);
  }();
  return vocab;
}

bool allowed(const keel::grammar::MatcherScratch& scratch, int32_t id) {
  return (scratch.allowed[static_cast<size_t>(id) / 64] >> (id % 64)) & 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view text = input.substr(0, split);
  const std::string_view choices = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  std::string gbnf(text);
  if (!text.empty() && text[0] == '{') {
    const auto schema = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (schema.is_discarded()) return 0;
    auto compiled = keel::grammar::json_schema_to_gbnf(schema);
    if (!compiled.ok()) return 0;  // refused: a clean error
    gbnf = std::move(compiled).value();
  }
  auto grammar = keel::grammar::parse_gbnf(gbnf);
  if (!grammar.ok()) return 0;
  if (grammar->elements.size() > 4000) return 0;  // preparing larger ones is fine, only slow for a fuzzer
  auto compiled = keel::grammar::CompiledGrammar::compile(std::move(grammar).value(), vocabulary());
  if (!compiled.ok()) return 0;

  const auto& vocab = *vocabulary();
  keel::grammar::GrammarMatcher matcher(compiled.value());
  keel::grammar::MatcherScratch scratch(vocab.size(), vocab.longest());
  for (const char choice : choices) {
    const bool may_end = matcher.allowed_tokens(scratch);
    if (may_end != matcher.can_end()) std::abort();
    const auto byte = static_cast<uint8_t>(choice);
    if (byte & 0x80) {
      // Any token: accepted exactly when it was allowed.
      const int32_t id = byte % vocab.size();
      const bool accepted = !vocab.bytes(id).empty() && matcher.accept(vocab.bytes(id), scratch);
      // Past the matcher's depth (kMaxStackDepth) a grammar ends: the
      // engine then fails the request with an error that says so.
      if (matcher.too_deep()) break;
      if (accepted != allowed(scratch, id)) std::abort();
      continue;
    }
    std::vector<int32_t> options;
    for (int32_t id = 0; id < vocab.size(); ++id)
      if (allowed(scratch, id)) options.push_back(id);
    if (options.empty()) break;
    if (!matcher.accept(vocab.bytes(options[byte % options.size()]), scratch)) {
      if (matcher.too_deep()) break;  // as above
      std::abort();
    }
  }
  return 0;
}
