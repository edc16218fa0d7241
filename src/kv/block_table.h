// BlockTable: the blocks of one sequence, in position order. Position p
// lives in blocks()[p / block_size] at row p % block_size. The first
// `committed()` blocks are full and keyed (their content is immutable and
// may be shared); the rest are private to this sequence. Capacity is fixed
// at construction, so growing never allocates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/check.h"
#include "kv/block_hash.h"

namespace keel {

class BlockTable {
 public:
  explicit BlockTable(int32_t max_blocks) {
    blocks_.reserve(static_cast<size_t>(max_blocks));
    keys_.reserve(static_cast<size_t>(max_blocks));
  }

  std::span<const int32_t> blocks() const { return blocks_; }
  int32_t size() const { return static_cast<int32_t>(blocks_.size()); }
  int32_t capacity() const { return static_cast<int32_t>(blocks_.capacity()); }
  int32_t committed() const { return static_cast<int32_t>(keys_.size()); }
  // Key of the last committed block (the parent of the next one).
  uint64_t last_key() const { return keys_.empty() ? kRootBlockKey : keys_.back(); }

  void push(int32_t block) {
    KEEL_CHECK(blocks_.size() < blocks_.capacity(), "block table full");
    blocks_.push_back(block);
  }
  // Marks the next block as full and keyed by `key`.
  void commit(uint64_t key) {
    KEEL_CHECK(keys_.size() < blocks_.size(), "committing a block the table does not hold");
    keys_.push_back(key);
  }
  void clear() {
    blocks_.clear();
    keys_.clear();
  }

 private:
  std::vector<int32_t> blocks_;
  std::vector<uint64_t> keys_;  // [committed()]
};

}  // namespace keel
