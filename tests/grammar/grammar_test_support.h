// Shared by the grammar tests: a small vocabulary with every single byte
// and many multi-byte pieces of JSON text, and a one-call compile.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "grammar/compiled_grammar.h"
#include "grammar/gbnf_parser.h"
#include "grammar/grammar_matcher.h"

namespace keel::grammar::testing {

// Ids 0..255: the single bytes; 256: a control token (no bytes); then
// random pieces over JSON's characters, some multi-byte UTF-8 split.
inline std::shared_ptr<const Vocabulary> json_vocabulary(int pieces = 3000, uint32_t seed = 1) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
  tokens.push_back("");
  for (const char* piece : {"{\"", "\":", "\",", "\"}", "\"]", "true", "false", "null", " \"", "\n  ", "\xC3\xA9",
                            "}}", "]}", "123", "\\u00", "\\n", "\": \"", "\"},{\"", "\xE2\x82", "\xAC"})
    tokens.push_back(piece);
  const std::string alphabet = "{}[]\":, \n0123456789.-+eEabcnrtulsfx\\";
  std::mt19937 rng(seed);
  for (int i = 0; i < pieces; ++i) {
    std::string piece;
    const int length = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < length; ++k) piece += alphabet[rng() % alphabet.size()];
    tokens.push_back(piece);
  }
  return std::make_shared<Vocabulary>(tokens);
}

inline std::shared_ptr<const CompiledGrammar> compile_gbnf(const std::string& text,
                                                           std::shared_ptr<const Vocabulary> vocabulary) {
  auto grammar = parse_gbnf(text);
  EXPECT_TRUE(grammar.ok()) << grammar.error().message;
  auto compiled = CompiledGrammar::compile(std::move(grammar).value(), std::move(vocabulary));
  EXPECT_TRUE(compiled.ok()) << compiled.error().message;
  return std::move(compiled).value();
}

// Whether the whole of `text`, fed byte by byte, is a complete match.
inline bool accepts(const std::shared_ptr<const CompiledGrammar>& grammar, const std::string& text) {
  GrammarMatcher matcher(grammar);
  MatcherScratch scratch(grammar->vocabulary().size(), grammar->vocabulary().longest());
  for (const char c : text)
    if (!matcher.accept(std::string(1, c), scratch)) return false;
  return matcher.can_end();
}

}  // namespace keel::grammar::testing
