// Jinja lexer: splits template source into raw text and the tokens inside
// {{ }} and {% %} tags, applying the whitespace rules of the HF environment
// (trim_blocks, lstrip_blocks, '-' and '+' markers; comments removed; one
// trailing newline of the source dropped).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace keel::jinja {

enum class TokenType {
  kText,           // raw template text, already whitespace-trimmed
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kName,           // identifiers and keywords
  kString,         // string literal, escapes already decoded
  kInteger,
  kFloat,
  kOperator,       // punctuation: + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } . , : |
  kEnd,            // end of input
};

struct Token {
  TokenType type;
  std::string text;
  int line = 1;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

Result<std::vector<Token>> tokenize(const std::string& source, const LexerOptions& options = {});

}  // namespace keel::jinja
