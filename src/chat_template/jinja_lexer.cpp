#include "chat_template/jinja_lexer.h"

#include <cctype>
#include <charconv>
#include <string_view>

namespace keel::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Jinja normalises every newline style to '\n' and drops one final newline.
std::string normalize_source(const std::string& source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string rstrip_all(std::string text) {
  while (!text.empty() && is_space(text.back())) text.pop_back();
  return text;
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options) : src_(std::move(source)), options_(options) {}

  Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) {
      size_t tag = find_tag_start(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      if (tag == src_.size()) {
        emit_text(std::move(text));
        break;
      }
      char kind = src_[tag + 1];  // '{', '%' or '#'
      char marker = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      text = strip_before_tag(std::move(text), kind, marker);
      emit_text(std::move(text));
      advance_to(tag);
      size_t body = tag + 2 + ((marker == '-' || marker == '+') ? 1 : 0);
      if (kind == '#') {
        KEEL_TRY(skip_comment(body));
      } else if (kind == '%' && is_raw_block(body)) {
        KEEL_TRY(lex_raw_block(body));
      } else {
        KEEL_TRY(lex_tag(kind, body));
      }
    }
    tokens_.push_back(Token{TokenType::kEnd, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t find_tag_start(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return src_.size();
  }

  // '-' strips all whitespace before the tag; lstrip_blocks strips spaces and
  // tabs between the start of the line and a block or comment tag.
  std::string strip_before_tag(std::string text, char kind, char marker) const {
    if (marker == '-') return rstrip_all(std::move(text));
    if (marker == '+' || kind == '{' || !options_.lstrip_blocks) return text;
    size_t line_start = text.rfind('\n');
    line_start = line_start == std::string::npos ? 0 : line_start + 1;
    if (line_start == 0 && !line_starting_) return text;
    for (size_t i = line_start; i < text.size(); ++i) {
      if (text[i] != ' ' && text[i] != '\t') return text;
    }
    text.resize(line_start);
    return text;
  }

  void emit_text(std::string text) {
    if (!text.empty()) tokens_.push_back(Token{TokenType::kText, std::move(text), line_});
  }

  // Moves pos_ forward, counting lines.
  void advance_to(size_t target) {
    for (; pos_ < target; ++pos_) {
      if (src_[pos_] == '\n') ++line_;
    }
  }

  // After a tag's closing delimiter at `after`: '-' eats all following
  // whitespace, trim_blocks eats one newline after %} and #}.
  void finish_tag(size_t after, bool strip_marker, bool plus_marker, bool is_block_like) {
    size_t end = after;
    if (strip_marker) {
      while (end < src_.size() && is_space(src_[end])) ++end;
    } else if (is_block_like && options_.trim_blocks && !plus_marker && end < src_.size() && src_[end] == '\n') {
      ++end;
    }
    line_starting_ = end > 0 && src_[end - 1] == '\n';
    advance_to(end);
  }

  Status skip_comment(size_t body) {
    size_t close = src_.find("#}", body);
    if (close == std::string::npos) return Error{"unclosed comment '{#' at line " + std::to_string(line_)};
    bool strip = close > body && src_[close - 1] == '-';
    bool plus = close > body && src_[close - 1] == '+';
    finish_tag(close + 2, strip, plus, true);
    return ok_status();
  }

  // Matches "{% raw %}" (with optional markers) starting at the tag body.
  bool is_raw_block(size_t body) const {
    size_t i = body;
    while (i < src_.size() && is_space(src_[i])) ++i;
    if (src_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    while (i < src_.size() && is_space(src_[i])) ++i;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
    return src_.compare(i, 2, "%}") == 0;
  }

  Status lex_raw_block(size_t body) {
    size_t open_end = src_.find("%}", body);
    bool open_strip = src_[open_end - 1] == '-';
    bool open_plus = src_[open_end - 1] == '+';
    int start_line = line_;
    finish_tag(open_end + 2, open_strip, open_plus, true);
    // Find "{%[-+]? endraw [-+]?%}".
    for (size_t i = pos_; i + 1 < src_.size(); ++i) {
      if (src_.compare(i, 2, "{%") != 0) continue;
      size_t k = i + 2;
      char marker = k < src_.size() ? src_[k] : '\0';
      if (marker == '-' || marker == '+') ++k;
      while (k < src_.size() && is_space(src_[k])) ++k;
      if (src_.compare(k, 6, "endraw") != 0) continue;
      k += 6;
      while (k < src_.size() && is_space(src_[k])) ++k;
      bool close_strip = k < src_.size() && src_[k] == '-';
      bool close_plus = k < src_.size() && src_[k] == '+';
      if (close_strip || close_plus) ++k;
      if (src_.compare(k, 2, "%}") != 0) continue;
      std::string text = src_.substr(pos_, i - pos_);
      emit_text(strip_before_tag(std::move(text), '%', marker));
      advance_to(i);
      finish_tag(k + 2, close_strip, close_plus, true);
      return ok_status();
    }
    return Error{"unclosed '{% raw %}' block opened at line " + std::to_string(start_line)};
  }

  // Lexes the expression tokens of a {{ }} or {% %} tag up to its closing
  // delimiter; the delimiter only counts outside brackets, so dict literals
  // like {'a': {'b': 1}} inside {{ }} work.
  Status lex_tag(char kind, size_t body) {
    bool is_block = kind == '%';
    int open_line = line_;
    tokens_.push_back(Token{is_block ? TokenType::kBlockBegin : TokenType::kVariableBegin, "", line_});
    advance_to(body);
    const std::string_view close = is_block ? "%}" : "}}";
    int bracket_depth = 0;
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) advance_to(pos_ + 1);
      if (pos_ >= src_.size()) {
        return Error{std::string("unclosed tag '") + (is_block ? "{%" : "{{") + "' opened at line " +
                     std::to_string(open_line)};
      }
      if (bracket_depth == 0) {
        bool strip = src_[pos_] == '-' || src_[pos_] == '+';
        size_t close_at = strip ? pos_ + 1 : pos_;
        if (src_.compare(close_at, 2, close) == 0) {
          tokens_.push_back(Token{is_block ? TokenType::kBlockEnd : TokenType::kVariableEnd, "", line_});
          bool plus = src_[pos_] == '+';
          finish_tag(close_at + 2, strip && !plus, plus, is_block);
          return ok_status();
        }
      }
      KEEL_TRY(lex_expression_token(bracket_depth));
    }
  }

  Status lex_expression_token(int& bracket_depth) {
    char c = src_[pos_];
    size_t start = pos_;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_;
      while (end < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
      tokens_.push_back(Token{TokenType::kName, src_.substr(start, end - start), line_});
      advance_to(end);
      return ok_status();
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number();
    if (c == '\'' || c == '"') return lex_string(c);
    static constexpr std::string_view kTwoCharOperators[] = {"**", "//", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwoCharOperators) {
      if (src_.compare(pos_, 2, op) == 0) {
        tokens_.push_back(Token{TokenType::kOperator, std::string(op), line_});
        advance_to(pos_ + 2);
        return ok_status();
      }
    }
    static constexpr std::string_view kSingleCharOperators = "+-*/%~<>=()[]{}.,:|";
    if (kSingleCharOperators.find(c) == std::string_view::npos) {
      return Error{std::string("unexpected character '") + c + "' at line " + std::to_string(line_)};
    }
    if (c == '(' || c == '[' || c == '{') ++bracket_depth;
    if ((c == ')' || c == ']' || c == '}') && bracket_depth > 0) --bracket_depth;
    tokens_.push_back(Token{TokenType::kOperator, std::string(1, c), line_});
    advance_to(pos_ + 1);
    return ok_status();
  }

  Status lex_number() {
    size_t end = pos_;
    auto digits = [&] {
      while (end < src_.size() && (std::isdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_')) ++end;
    };
    digits();
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' && std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
      is_float = true;
      ++end;
      digits();
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t exponent = end + 1;
      if (exponent < src_.size() && (src_[exponent] == '+' || src_[exponent] == '-')) ++exponent;
      if (exponent < src_.size() && std::isdigit(static_cast<unsigned char>(src_[exponent]))) {
        is_float = true;
        end = exponent;
        digits();
      }
    }
    std::string text;
    for (size_t i = pos_; i < end; ++i) {
      if (src_[i] != '_') text += src_[i];
    }
    tokens_.push_back(Token{is_float ? TokenType::kFloat : TokenType::kInteger, text, line_});
    advance_to(end);
    return ok_status();
  }

  Status lex_string(char quote) {
    int start_line = line_;
    std::string value;
    size_t i = pos_ + 1;
    for (; i < src_.size() && src_[i] != quote; ++i) {
      if (src_[i] != '\\' || i + 1 >= src_.size()) {
        value += src_[i];
        continue;
      }
      char escaped = src_[++i];
      switch (escaped) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case '\n': break;  // backslash-newline continues the line
        case '0': value += '\0'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'v': value += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          size_t width = escaped == 'x' ? 2 : escaped == 'u' ? 4 : 8;
          if (i + width >= src_.size()) return Error{"truncated \\" + std::string(1, escaped) + " escape at line " + std::to_string(line_)};
          uint32_t code = 0;
          const char* first = src_.data() + i + 1;
          auto [end, ec] = std::from_chars(first, first + width, code, 16);
          if (ec != std::errc() || end != first + width) {
            return Error{"invalid \\" + std::string(1, escaped) + " escape at line " + std::to_string(line_)};
          }
          append_utf8(code, value);
          i += width;
          break;
        }
        default:  // Python keeps unknown escapes verbatim
          value += '\\';
          value += escaped;
      }
    }
    if (i >= src_.size()) return Error{"unterminated string literal at line " + std::to_string(start_line)};
    tokens_.push_back(Token{TokenType::kString, std::move(value), start_line});
    advance_to(i + 1);
    return ok_status();
  }

  static void append_utf8(uint32_t code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string src_;
  const LexerOptions& options_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;  // the previous token ended at a line start
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>> tokenize(const std::string& source, const LexerOptions& options) {
  Lexer lexer(normalize_source(source, options.keep_trailing_newline), options);
  return lexer.run();
}

}  // namespace keel::jinja
