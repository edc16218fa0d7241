// BlockList: an intrusive doubly linked list of block ids, for eviction
// order. Links live in arrays sized once for the pool, so pushing and
// unlinking never allocate. Front = least recently inserted.
#pragma once

#include <cstdint>
#include <vector>

#include "core/check.h"

namespace keel {

class BlockList {
 public:
  explicit BlockList(int32_t blocks)
      : prev_(static_cast<size_t>(blocks), kNone), next_(static_cast<size_t>(blocks), kNone),
        member_(static_cast<size_t>(blocks), 0) {}

  bool contains(int32_t block) const { return member_[block] != 0; }
  int32_t size() const { return size_; }
  int32_t front() const { return head_; }  // -1 when empty

  void push_back(int32_t block) {
    KEEL_CHECK(!contains(block), "block already listed");
    prev_[block] = tail_;
    next_[block] = kNone;
    if (tail_ != kNone) next_[tail_] = block;
    else head_ = block;
    tail_ = block;
    member_[block] = 1;
    ++size_;
  }

  void unlink(int32_t block) {
    KEEL_CHECK(contains(block), "block not listed");
    const int32_t p = prev_[block], n = next_[block];
    if (p != kNone) next_[p] = n;
    else head_ = n;
    if (n != kNone) prev_[n] = p;
    else tail_ = p;
    member_[block] = 0;
    --size_;
  }

  int32_t pop_front() {
    const int32_t block = head_;
    if (block != kNone) unlink(block);
    return block;
  }

 private:
  static constexpr int32_t kNone = -1;
  std::vector<int32_t> prev_, next_;
  std::vector<uint8_t> member_;
  int32_t head_ = kNone, tail_ = kNone, size_ = 0;
};

}  // namespace keel
