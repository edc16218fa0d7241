#include "tokenizer/regex_splitter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace keel {
namespace {

// Unicode White_Space: tab..carriage return, NEL and the separators (Z*).
constexpr std::string_view kWhiteSpaceMembers = "\\t-\\r \\x{85}\\p{Z}";

// Per-thread match scratch: a JIT stack large enough for long runs of
// letters or spaces, and the match context that points at it.
struct MatchScratch {
  pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
  pcre2_match_context* context = pcre2_match_context_create(nullptr);
  MatchScratch() {
    if (jit_stack != nullptr && context != nullptr) pcre2_jit_stack_assign(context, nullptr, jit_stack);
  }
  ~MatchScratch() {
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(jit_stack);
  }
  MatchScratch(const MatchScratch&) = delete;
  MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& match_scratch() {
  thread_local MatchScratch scratch;
  return scratch;
}

}  // namespace

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

std::string spell_out_whitespace_classes(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 32);
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[i + 1];
      ++i;
      if (next == 's') {
        if (in_class) {
          out.append(kWhiteSpaceMembers);
        } else {
          out.append("[").append(kWhiteSpaceMembers).append("]");
        }
      } else if (next == 'S' && !in_class) {
        out.append("[^").append(kWhiteSpaceMembers).append("]");
      } else {
        out.push_back(c);
        out.push_back(next);
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      // A ']' right after '[' or '[^' is a literal member, not the end.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out.push_back(pattern[++i]);
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out.push_back(pattern[++i]);
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out.push_back(c);
  }
  return out;
}

Result<RegexSplitter> RegexSplitter::compile(std::string_view pattern) {
  const std::string rewritten = spell_out_whitespace_classes(pattern);
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rewritten.data()), rewritten.size(),
                                   PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof(message));
    return Error{"pre-tokenizer regex does not compile (" + std::string(reinterpret_cast<char*>(message)) +
                 " at offset " + std::to_string(error_offset) + "): " + std::string(pattern)};
  }
  // JIT is an optimisation only: when it is unavailable pcre2_match interprets.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  auto compiled = std::make_shared<Compiled>();
  compiled->code = code;
  RegexSplitter splitter;
  splitter.pattern_ = std::string(pattern);
  splitter.compiled_ = std::move(compiled);
  return splitter;
}

void RegexSplitter::split(std::string_view text, std::vector<std::string_view>& pieces) const {
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t piece_start = 0;  // start of text not yet emitted
  size_t search_from = 0;
  while (search_from < text.size()) {
    const int rc = pcre2_match(compiled_->code, subject, text.size(), search_from, PCRE2_NO_UTF_CHECK, match,
                               match_scratch().context);
    if (rc < 0) break;  // no further match (or a resource limit): the rest is one piece
    const PCRE2_SIZE* span = pcre2_get_ovector_pointer(match);
    const size_t begin = span[0];
    const size_t end = span[1];
    if (end == begin) {  // empty match: step over one character and retry
      search_from = begin + 1;
      while (search_from < text.size() && (static_cast<unsigned char>(text[search_from]) & 0xC0) == 0x80) {
        ++search_from;
      }
      continue;
    }
    if (begin > piece_start) pieces.push_back(text.substr(piece_start, begin - piece_start));
    pieces.push_back(text.substr(begin, end - begin));
    piece_start = end;
    search_from = end;
  }
  if (piece_start < text.size()) pieces.push_back(text.substr(piece_start));
  pcre2_match_data_free(match);
}

}  // namespace keel
