#include "grammar/gbnf_parser.h"

#include <optional>

#include "core/utf8.h"
#include "grammar/grammar_analysis.h"
#include "grammar/utf8_ranges.h"

namespace keel::grammar {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

class GbnfParser {
 public:
  explicit GbnfParser(std::string_view text) : text_(text) {}

  Result<Grammar> parse() {
    skip_blank(true);
    while (!at_end()) {
      KEEL_TRY(parse_rule());
      skip_blank(true);
    }
    if (!saw_root_) return Error{"the grammar has no 'root' rule"};
    KEEL_ASSIGN_OR_RETURN(Grammar grammar, std::move(builder_).build(builder_.rule("root")));
    KEEL_TRY(check_left_recursion(grammar));
    return grammar;
  }

 private:
  using Sequence = std::vector<Element>;

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  Error error(const std::string& what) const {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) {
      if (text_[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    return Error{"grammar, line " + std::to_string(line) + " column " + std::to_string(column) + ": " + what};
  }

  // Skips spaces, tabs and comments, and newlines too when `newlines`.
  void skip_blank(bool newlines) {
    while (!at_end()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view name() {
    const size_t begin = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  // At a newline outside parentheses: does the rule go on (false), or
  // does a new rule or the end of the text come next (true)?
  bool rule_ends_here() {
    const size_t saved = pos_;
    skip_blank(true);
    bool ends = at_end();
    if (!ends) {
      name();
      skip_blank(false);
      ends = text_.substr(pos_, 3) == "::=";
    }
    pos_ = saved;
    return ends;
  }

  Status parse_rule() {
    const std::string_view rule_name = name();
    if (rule_name.empty()) return error("expected a rule name");
    skip_blank(false);
    if (text_.substr(pos_, 3) != "::=") return error("expected '::=' after rule name '" + std::string(rule_name) + "'");
    pos_ += 3;
    const int32_t rule = builder_.rule(std::string(rule_name));
    if (builder_.defined(rule)) return error("rule '" + std::string(rule_name) + "' is defined twice");
    if (rule_name == "root") saw_root_ = true;
    return parse_alternatives(rule, false);
  }

  Status parse_alternatives(int32_t rule, bool nested) {
    while (true) {
      KEEL_ASSIGN_OR_RETURN(Sequence sequence, parse_sequence(nested));
      builder_.add_alternative(rule, sequence);
      if (builder_.size() > kMaxGrammarElements) return error("the grammar is too large");
      if (peek() != '|') return ok_status();
      ++pos_;
    }
  }

  Result<Sequence> parse_sequence(bool nested) {
    Sequence sequence;
    while (true) {
      skip_blank(nested);
      if (!nested && peek() == '\n') {
        if (rule_ends_here()) return sequence;
        skip_blank(true);
      }
      if (at_end() || peek() == '|' || peek() == ')') {
        if (peek() == ')' && !nested) return error("')' without '('");
        return sequence;
      }
      KEEL_ASSIGN_OR_RETURN(Sequence item, parse_item());
      KEEL_ASSIGN_OR_RETURN(item, parse_repetition(std::move(item)));
      sequence.insert(sequence.end(), item.begin(), item.end());
      if (sequence.size() > kMaxGrammarElements) return error("the grammar is too large");
    }
  }

  Result<Sequence> parse_item() {
    const char c = peek();
    if (c == '"') return parse_literal();
    if (c == '[') return parse_class();
    if (c == '.') {
      ++pos_;
      return class_elements({{0, kMaxCodePoint}});
    }
    if (c == '(') {
      ++pos_;
      const int32_t group = builder_.helper_rule("group");
      KEEL_TRY(parse_alternatives(group, true));
      if (peek() != ')') return error("expected ')'");
      ++pos_;
      return Sequence{GrammarBuilder::call(group)};
    }
    if (is_name_char(c)) {
      const std::string_view rule_name = name();
      skip_blank(false);
      if (text_.substr(pos_, 3) == "::=") return error("expected the previous rule to end before '" + std::string(rule_name) + " ::='");
      return Sequence{GrammarBuilder::call(builder_.rule(std::string(rule_name)))};
    }
    return error(std::string("unexpected character '") + c + "'");
  }

  // One character of a literal or class, escapes decoded.
  Result<char32_t> parse_char() {
    if (at_end()) return error("unterminated literal or class");
    if (peek() != '\\') {
      char32_t code_point = 0;
      const size_t length = utf8::decode_at(text_, pos_, code_point);
      if (length == 0) return error("the grammar is not valid UTF-8");
      pos_ += length;
      return code_point;
    }
    ++pos_;
    const char e = peek();
    ++pos_;
    switch (e) {
      case 'n': return U'\n';
      case 'r': return U'\r';
      case 't': return U'\t';
      case '\\': case '"': case '[': case ']': case '-': case '^': case '/': case '\'':
        return static_cast<char32_t>(e);
      case 'x': return parse_hex(2);
      case 'u': return parse_hex(4);
      case 'U': return parse_hex(8);
      default: --pos_; return error(std::string("unknown escape '\\") + e + "'");
    }
  }

  Result<char32_t> parse_hex(int digits) {
    char32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      const char c = peek();
      int digit = -1;
      if (c >= '0' && c <= '9') digit = c - '0';
      else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
      if (digit < 0) return error("expected " + std::to_string(digits) + " hex digits");
      value = value * 16 + static_cast<char32_t>(digit);
      ++pos_;
    }
    if (value > kMaxCodePoint || (value >= 0xD800 && value <= 0xDFFF)) return error("escape names no character");
    return value;
  }

  Result<Sequence> parse_literal() {
    ++pos_;  // "
    Sequence sequence;
    while (peek() != '"') {
      if (at_end() || peek() == '\n') return error("unterminated literal");
      KEEL_ASSIGN_OR_RETURN(const char32_t c, parse_char());
      std::string bytes;
      utf8::append(bytes, c);
      for (const char b : bytes) sequence.push_back(builder_.byte(static_cast<uint8_t>(b)));
    }
    ++pos_;
    return sequence;
  }

  Result<Sequence> parse_class() {
    ++pos_;  // [
    bool negated = false;
    if (peek() == '^') { negated = true; ++pos_; }
    std::vector<CodePointRange> ranges;
    while (peek() != ']') {
      if (at_end() || peek() == '\n') return error("unterminated character class");
      KEEL_ASSIGN_OR_RETURN(const char32_t first, parse_char());
      char32_t last = first;
      if (peek() == '-' && peek(1) != ']') {
        ++pos_;
        KEEL_ASSIGN_OR_RETURN(last, parse_char());
        if (last < first) return error("character range goes backwards");
      }
      ranges.push_back({first, last});
    }
    ++pos_;
    if (negated) ranges = complement(std::move(ranges));
    if (ranges.empty()) return error("the character class matches nothing");
    return class_elements(std::move(ranges));
  }

  // A class as elements: one byte set when it is ASCII only, else a
  // helper rule whose alternatives are its UTF-8 byte patterns.
  Sequence class_elements(std::vector<CodePointRange> ranges) {
    ByteSet single_bytes;
    std::vector<Sequence> multi_byte;
    for (const ByteRangeSequence& pattern : utf8_sequences(std::move(ranges))) {
      if (pattern.length == 1) {
        single_bytes.add_range(pattern.lo[0], pattern.hi[0]);
        continue;
      }
      Sequence sequence;
      for (int i = 0; i < pattern.length; ++i) {
        ByteSet set;
        set.add_range(pattern.lo[static_cast<size_t>(i)], pattern.hi[static_cast<size_t>(i)]);
        sequence.push_back(builder_.bytes(set));
      }
      multi_byte.push_back(std::move(sequence));
    }
    if (multi_byte.empty()) return {builder_.bytes(single_bytes)};
    const int32_t rule = builder_.helper_rule("class");
    if (!single_bytes.empty()) builder_.add_alternative(rule, {builder_.bytes(single_bytes)});
    for (const Sequence& sequence : multi_byte) builder_.add_alternative(rule, sequence);
    return {GrammarBuilder::call(rule)};
  }

  // A postfix operator after `item`, if any, expanded into helper rules.
  Result<Sequence> parse_repetition(Sequence item) {
    const char c = peek();
    if (c != '*' && c != '+' && c != '?' && c != '{') return item;
    ++pos_;
    int64_t min = 0;
    std::optional<int64_t> max;
    if (c == '+') min = 1;
    if (c == '?') max = 1;
    if (c == '{') {
      KEEL_ASSIGN_OR_RETURN(min, parse_count());
      skip_blank(false);
      if (peek() == ',') {
        ++pos_;
        skip_blank(false);
        if (peek() != '}') {
          KEEL_ASSIGN_OR_RETURN(const int64_t upper, parse_count());
          max = upper;
        }
      } else {
        max = min;
      }
      skip_blank(false);
      if (peek() != '}') return error("expected '}'");
      ++pos_;
      if (max && *max < min) return error("repetition {m,n} with n < m");
    }
    return repeat(std::move(item), min, max);
  }

  Result<int64_t> parse_count() {
    skip_blank(false);
    int64_t value = 0;
    if (peek() < '0' || peek() > '9') return error("expected a repetition count");
    while (peek() >= '0' && peek() <= '9') {
      value = value * 10 + (peek() - '0');
      if (value > 100000) return error("repetition count too large");
      ++pos_;
    }
    return value;
  }

  Result<Sequence> repeat(Sequence item, int64_t min, std::optional<int64_t> max) {
    if (item.size() != 1) {  // make it one element: a rule of its own
      const int32_t wrapper = builder_.helper_rule("item");
      builder_.add_alternative(wrapper, item);
      item = {GrammarBuilder::call(wrapper)};
    }
    const Element x = item[0];
    if (static_cast<size_t>(max.value_or(min + 1)) * 2 + builder_.size() > kMaxGrammarElements)
      return error("the grammar is too large");
    Sequence out(static_cast<size_t>(min), x);
    if (!max) {  // x*: star ::= x star | (empty) — tail recursive, so the stack does not grow
      const int32_t star = builder_.helper_rule("star");
      builder_.add_alternative(star, {x, GrammarBuilder::call(star)});
      builder_.add_alternative(star, {});
      out.push_back(GrammarBuilder::call(star));
      return out;
    }
    // Up to (max - min) more: opt_k ::= x opt_k+1 | (empty), built from the last.
    int32_t next = -1;
    for (int64_t k = *max - min; k > 0; --k) {
      const int32_t optional = builder_.helper_rule("opt");
      if (next < 0) builder_.add_alternative(optional, {x});
      else builder_.add_alternative(optional, {x, GrammarBuilder::call(next)});
      builder_.add_alternative(optional, {});
      next = optional;
    }
    if (next >= 0) out.push_back(GrammarBuilder::call(next));
    return out;
  }

  std::string_view text_;
  size_t pos_ = 0;
  GrammarBuilder builder_;
  bool saw_root_ = false;
};

}  // namespace

Result<Grammar> parse_gbnf(std::string_view text) {
  if (text.size() > kMaxGrammarText) return Error{"the grammar is longer than " + std::to_string(kMaxGrammarText) + " bytes"};
  return GbnfParser(text).parse();
}

}  // namespace keel::grammar
