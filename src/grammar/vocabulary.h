// Vocabulary: a model's tokens as byte strings, sorted, so that a grammar
// can be run over all of them like a trie: tokens that share a prefix are
// neighbours, the match of the prefix is computed once, and when a prefix
// fails every token that starts with it is skipped in one jump.
// Built once per model and shared by every grammar compiled for it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::grammar {

class Vocabulary {
 public:
  // token_bytes[id]: the bytes token `id` adds to the text; "" for a
  // token no grammar can produce (control tokens such as end-of-turn).
  explicit Vocabulary(const std::vector<std::string>& token_bytes);

  int32_t size() const { return static_cast<int32_t>(offsets_.size()) - 1; }
  std::string_view bytes(int32_t id) const {
    return std::string_view(bytes_).substr(offsets_[static_cast<size_t>(id)],
                                           offsets_[static_cast<size_t>(id) + 1] - offsets_[static_cast<size_t>(id)]);
  }
  size_t longest() const { return longest_; }

  // The ids of the non-empty tokens in byte order.
  std::span<const int32_t> sorted() const { return sorted_; }
  // How many leading bytes sorted()[i] shares with sorted()[i - 1] (0 for i = 0).
  uint32_t common_prefix(size_t i) const { return common_prefix_[i]; }
  // The first index after i whose token does not begin with the first
  // `length` bytes of sorted()[i].
  size_t subtree_end(size_t i, size_t length) const;

 private:
  std::string bytes_;
  std::vector<uint32_t> offsets_;  // [size + 1]
  std::vector<int32_t> sorted_;
  std::vector<uint32_t> common_prefix_;
  size_t longest_ = 0;
};

}  // namespace keel::grammar
