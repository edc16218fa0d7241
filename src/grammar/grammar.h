// Grammar: a context-free grammar over bytes, the form every constraint
// (a GBNF text, a JSON schema, a tool-call format) is compiled to before
// it masks a model's vocabulary.
//
// The rules' alternatives are laid out end to end in one array of
// elements, each alternative closed by an kEnd element, so that a position
// in the grammar is a plain index: "the next thing to match is
// elements[position]". Terminals are sets of bytes, not characters: a
// character class over code points becomes alternatives of UTF-8 byte
// sequences (utf8_ranges.h), so matching never decodes UTF-8 and a token's
// bytes are fed one at a time, however the tokenizer split a character.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace keel::grammar {

// A set of byte values: 256 bits.
class ByteSet {
 public:
  bool has(uint8_t byte) const { return (words_[byte >> 6] >> (byte & 63)) & 1; }
  void add(uint8_t byte) { words_[byte >> 6] |= uint64_t{1} << (byte & 63); }
  void add_range(uint8_t lo, uint8_t hi) {
    for (int b = lo; b <= hi; ++b) add(static_cast<uint8_t>(b));
  }
  void add_all(const ByteSet& other) {
    for (size_t i = 0; i < words_.size(); ++i) words_[i] |= other.words_[i];
  }
  bool empty() const { return (words_[0] | words_[1] | words_[2] | words_[3]) == 0; }
  bool operator==(const ByteSet&) const = default;

 private:
  std::array<uint64_t, 4> words_{};
};

enum class ElementKind : uint8_t {
  kBytes,  // match one byte from byte_sets[value]
  kRule,   // match rule `value`
  kEnd,    // the alternative is complete; value: the rule it belongs to
};

struct Element {
  ElementKind kind = ElementKind::kEnd;
  int32_t value = 0;
};

struct Rule {
  std::string name;
  std::vector<int32_t> alternatives;  // the position of each alternative's first element
};

struct Grammar {
  std::vector<Element> elements;
  std::vector<ByteSet> byte_sets;
  std::vector<Rule> rules;
  // The position of the start: a kRule element naming the root rule,
  // followed by its kEnd (a one-element rule of its own, `rules[0]`).
  int32_t start = 0;

  // The rule a position's alternative belongs to.
  int32_t rule_of(int32_t position) const;
};

// GrammarBuilder: declares rules by name and appends their alternatives.
// Rules may be referenced before they are defined; build() checks that
// every referenced rule has at least one alternative.
class GrammarBuilder {
 public:
  GrammarBuilder();  // declares rule 0, the start rule

  // The id of the rule called `name`, declared on first use.
  int32_t rule(const std::string& name);
  // A fresh rule for a sub-expression ("name_3"): never clashes with a
  // name the grammar's author can write.
  int32_t helper_rule(const std::string& base);
  bool defined(int32_t rule) const;

  Element bytes(const ByteSet& set);  // an element for `set` (sets are shared)
  Element byte(uint8_t value);
  static Element call(int32_t rule) { return {ElementKind::kRule, rule}; }

  // Appends one alternative (possibly empty) to `rule`.
  void add_alternative(int32_t rule, const std::vector<Element>& sequence);
  size_t size() const { return elements_.size(); }

  // The grammar, starting at rule `root`; an error names a rule that is
  // referenced but never defined.
  Result<Grammar> build(int32_t root) &&;

 private:
  std::vector<Element> elements_;
  std::vector<ByteSet> byte_sets_;
  std::vector<Rule> rules_;
  std::map<std::string, int32_t> by_name_;
  int32_t helpers_ = 0;
};

}  // namespace keel::grammar
