// BpeMerges: the ranked merge rules of a BPE vocabulary and the merge loop.
//
// Symbols are token ids. Rule (left, right) -> merged has rank = the order in
// which it was added (0 = applied first). The loop repeatedly merges the
// adjacent pair with the lowest rank, the leftmost one on ties, exactly as
// Hugging Face `tokenizers` (word.rs, merge_all) does. A min-heap of
// candidate pairs plus a linked list of symbols keeps a word of n symbols at
// O(n log n).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace keel {

class BpeMerges {
 public:
  struct Rule {
    int32_t rank;
    int32_t merged;
  };

  // Adds a rule with the next rank. A pair seen before keeps its first rank.
  void add(int32_t left, int32_t right, int32_t merged);
  std::optional<Rule> find(int32_t left, int32_t right) const;
  size_t size() const { return rules_.size(); }

  // Merges `symbols` in place until no rule applies.
  void apply(std::vector<int32_t>& symbols) const;

 private:
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, Rule> rules_;
};

}  // namespace keel
