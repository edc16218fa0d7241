// AddedTokens: tokens matched in the raw text before any BPE runs
// (special markers such as <|im_start|> and user-defined pieces).
//
// Matching is leftmost-longest, like the Aho-Corasick automaton of Hugging
// Face `tokenizers`: scanning left to right, the first position where any
// token matches wins, and there the longest token. Special tokens take part
// only when the caller asks to parse specials.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;      // control token: only split out when parsing specials
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // ... and on its right
  bool single_word = false;  // only matches when not glued to word characters
};

// One piece of the input: either text still to tokenize or a matched token.
struct TextFragment {
  std::string_view text;
  int32_t token = -1;  // >= 0 for a matched added token
  bool is_token() const { return token >= 0; }
};

class AddedTokens {
 public:
  void add(AddedToken token);
  bool empty() const { return tokens_.empty(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

  std::vector<TextFragment> split(std::string_view text, bool parse_special) const;

 private:
  // Longest match at `pos`, or nullptr.
  const AddedToken* match_at(std::string_view text, size_t pos, bool parse_special) const;

  std::vector<AddedToken> tokens_;
  // Indices into tokens_ by first byte, longest content first.
  std::array<std::vector<uint32_t>, 256> by_first_byte_;
};

}  // namespace keel
