#include "tokenizer/added_tokens.h"

#include <algorithm>

namespace keel {
namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Word characters for single_word: ASCII letters, digits, '_' and, as an
// approximation of Unicode \w, every non-ASCII byte.
bool is_word_byte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x80 || (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') ||
         (byte >= 'A' && byte <= 'Z') || byte == '_';
}

}  // namespace

void AddedTokens::add(AddedToken token) {
  if (token.content.empty()) return;  // an empty token could match everywhere
  const auto index = static_cast<uint32_t>(tokens_.size());
  auto& bucket = by_first_byte_[static_cast<unsigned char>(token.content[0])];
  tokens_.push_back(std::move(token));
  bucket.push_back(index);
  std::stable_sort(bucket.begin(), bucket.end(), [this](uint32_t a, uint32_t b) {
    return tokens_[a].content.size() > tokens_[b].content.size();
  });
}

const AddedToken* AddedTokens::match_at(std::string_view text, size_t pos, bool parse_special) const {
  for (uint32_t index : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
    const AddedToken& token = tokens_[index];
    if (token.special && !parse_special) continue;
    if (text.compare(pos, token.content.size(), token.content) != 0) continue;
    if (token.single_word) {
      const size_t end = pos + token.content.size();
      if (pos > 0 && is_word_byte(text[pos - 1])) continue;
      if (end < text.size() && is_word_byte(text[end])) continue;
    }
    return &token;
  }
  return nullptr;
}

std::vector<TextFragment> AddedTokens::split(std::string_view text, bool parse_special) const {
  std::vector<TextFragment> fragments;
  size_t text_start = 0;  // start of the text not yet emitted
  size_t pos = 0;
  while (pos < text.size()) {
    const AddedToken* token = tokens_.empty() ? nullptr : match_at(text, pos, parse_special);
    if (token == nullptr) {
      ++pos;
      continue;
    }
    size_t text_end = pos;
    if (token->lstrip) {
      while (text_end > text_start && is_ascii_space(text[text_end - 1])) --text_end;
    }
    if (text_end > text_start) fragments.push_back({text.substr(text_start, text_end - text_start), -1});
    fragments.push_back({text.substr(pos, token->content.size()), token->id});
    pos += token->content.size();
    if (token->rstrip) {
      while (pos < text.size() && is_ascii_space(text[pos])) ++pos;
    }
    text_start = pos;
  }
  if (text_start < text.size()) fragments.push_back({text.substr(text_start), -1});
  return fragments;
}

}  // namespace keel
