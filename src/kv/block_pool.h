// BlockPool: the KV memory, reserved once, and each block's refcount.
//
//   keys, values: [blocks][layers][block_size][row_width] float32
//
// A block is free (on the free stack), in use (refcount >= 1: that many
// block tables hold it) or cached (refcount 0 but indexed by the prefix
// cache; PrefixCache tracks those). Nothing here allocates after
// construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/check.h"

namespace keel {

struct BlockPoolShape {
  int32_t blocks = 0;
  int32_t layers = 0;
  int32_t block_size = 0;  // tokens per block
  int64_t row_width = 0;   // floats per token row: kv_heads * head_dim

  // Bytes of K and V for one block (all layers).
  int64_t bytes_per_block() const { return 2 * int64_t{layers} * block_size * row_width * int64_t{sizeof(float)}; }
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

  // First key / value row of `block` in `layer`; rows follow contiguously.
  float* keys(int32_t block, int32_t layer) const { return keys_.data() + offset(block, layer); }
  float* values(int32_t block, int32_t layer) const { return values_.data() + offset(block, layer); }

 private:
  size_t offset(int32_t block, int32_t layer) const {
    return ((static_cast<size_t>(block) * shape_.layers + layer) * shape_.block_size) * shape_.row_width;
  }

  BlockPoolShape shape_;
  mutable std::vector<float> keys_;    // the model writes rows through a const cache
  mutable std::vector<float> values_;
  std::vector<int32_t> refcount_;      // [blocks]
  std::vector<int32_t> free_;          // stack of free block ids, capacity = blocks
};

}  // namespace keel
