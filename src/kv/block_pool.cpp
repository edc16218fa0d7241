#include "kv/block_pool.h"

namespace keel {

BlockPool::BlockPool(const BlockPoolShape& shape)
    : shape_(shape), refcount_(static_cast<size_t>(shape.blocks), 0) {
  KEEL_CHECK(shape.blocks > 0 && shape.block_size > 0, "empty KV block pool");
  free_.reserve(static_cast<size_t>(shape.blocks));
  // Highest id at the bottom so that blocks are handed out 0, 1, 2, ...
  for (int32_t b = shape.blocks - 1; b >= 0; --b) free_.push_back(b);
}

int32_t BlockPool::take_free() {
  if (free_.empty()) return -1;
  const int32_t block = free_.back();
  free_.pop_back();
  KEEL_CHECK(refcount_[block] == 0, "a free KV block had references");
  refcount_[block] = 1;
  return block;
}

void BlockPool::give_back(int32_t block) {
  KEEL_CHECK(refcount_[block] == 0, "freeing a KV block that is still referenced");
  free_.push_back(block);  // never over capacity: each block is in at most one place
}

}  // namespace keel
