// RegexSplitter: one "Split" pre-tokenizer step (behaviour Isolated, invert
// false): every regex match becomes a piece, and so does every stretch of
// text between matches. Backed by PCRE2 in UTF + UCP mode with JIT.
//
// Pre-tokenizer patterns are written for Oniguruma (Hugging Face) and Python,
// whose `\s` is Unicode White_Space. PCRE2's `\s` leaves out U+0085, so the
// pattern is rewritten to spell White_Space out before it is compiled.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace keel {

class RegexSplitter {
 public:
  static Result<RegexSplitter> compile(std::string_view pattern);

  // Appends the pieces of `text` (valid UTF-8) to `pieces`, in order; their
  // concatenation is `text`. The pieces point into `text`.
  void split(std::string_view text, std::vector<std::string_view>& pieces) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;
};

// Exposed for tests: `\s` / `\S` replaced by explicit White_Space classes.
std::string spell_out_whitespace_classes(std::string_view pattern);

}  // namespace keel
