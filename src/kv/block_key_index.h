// BlockKeyIndex: content key → block id, for the cached blocks.
//
// Open addressing with linear probing in a table sized once (a power of
// two at least twice the pool), with backward-shift deletion, so inserts
// and erases never allocate and never leave tombstones behind. At most
// one block per key: a second block with an equal key stays private.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace keel {

class BlockKeyIndex {
 public:
  explicit BlockKeyIndex(int32_t max_entries);

  // The block stored under `key`, or -1.
  int32_t find(uint64_t key) const;
  // Stores key → block; returns false (and changes nothing) if the key is taken.
  bool insert(uint64_t key, int32_t block);
  // Removes `key` (which must be present).
  void erase(uint64_t key);
  int32_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    int32_t block = -1;  // -1 = empty
  };
  size_t home(uint64_t key) const { return static_cast<size_t>(key) & mask_; }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int32_t size_ = 0;
};

}  // namespace keel
