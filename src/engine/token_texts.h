// TokenTexts: every token's raw output bytes, laid out once at engine start
// so that the step loop reads them as string_views instead of building a
// std::string per token (Tokenizer::token_bytes returns by value).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace keel {

class TokenTexts {
 public:
  TokenTexts(const Tokenizer& tokenizer, int32_t vocab);

  // The bytes token `id` adds to generated text ("" for control tokens and ids out of range).
  std::string_view bytes(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) + 1 >= offsets_.size()) return {};
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  size_t longest() const { return longest_; }

 private:
  std::string bytes_;             // all tokens' bytes, concatenated
  std::vector<uint32_t> offsets_; // [vocab + 1]
  size_t longest_ = 0;
};

}  // namespace keel
