// BlockPool: the KV blocks' ids and refcounts, reserved once. The bytes the
// blocks stand for live in the backend (backend/kv_storage.h): kv/ only
// decides which block holds what.
//
// A block is free (on the free stack), in use (refcount >= 1: that many
// block tables hold it) or cached (refcount 0 but indexed by the prefix
// cache; PrefixCache tracks those). Nothing here allocates after
// construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/check.h"

namespace keel {

struct BlockPoolShape {
  int32_t blocks = 0;
  int32_t block_size = 0;  // tokens per block
};

class BlockPool {
 public:
  explicit BlockPool(const BlockPoolShape& shape);

  const BlockPoolShape& shape() const { return shape_; }
  int32_t free_count() const { return static_cast<int32_t>(free_.size()); }

  // Takes a free block (refcount becomes 1), or returns -1 when none is free.
  int32_t take_free();
  // Puts a block with refcount 0 back on the free stack.
  void give_back(int32_t block);

  int32_t refcount(int32_t block) const { return refcount_[block]; }
  void add_ref(int32_t block) { ++refcount_[block]; }
  // Returns the refcount left.
  int32_t drop_ref(int32_t block) {
    KEEL_CHECK(refcount_[block] > 0, "dropping a reference to an unreferenced KV block");
    return --refcount_[block];
  }
  // The free stack, for the invariant check.
  std::span<const int32_t> free_blocks() const { return free_; }

 private:
  BlockPoolShape shape_;
  std::vector<int32_t> refcount_;      // [blocks]
  std::vector<int32_t> free_;          // stack of free block ids, capacity = blocks
};

}  // namespace keel
