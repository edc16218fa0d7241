#include "kv/block_key_index.h"

#include "core/check.h"

namespace keel {

BlockKeyIndex::BlockKeyIndex(int32_t max_entries) {
  size_t capacity = 16;
  while (capacity < 2 * static_cast<size_t>(max_entries)) capacity *= 2;
  slots_.resize(capacity);
  mask_ = capacity - 1;
}

int32_t BlockKeyIndex::find(uint64_t key) const {
  for (size_t i = home(key);; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.block < 0) return -1;
    if (slot.key == key) return slot.block;
  }
}

bool BlockKeyIndex::insert(uint64_t key, int32_t block) {
  for (size_t i = home(key);; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.block < 0) {
      // Only a new entry counts against the load the table was sized for;
      // a taken key is refused below whatever the load.
      KEEL_CHECK(static_cast<size_t>(size_) < slots_.size() / 2, "block key index over its sized load");
      slot = Slot{key, block};
      ++size_;
      return true;
    }
    if (slot.key == key) return false;
  }
}

void BlockKeyIndex::erase(uint64_t key) {
  size_t hole = home(key);
  while (slots_[hole].key != key || slots_[hole].block < 0) {
    KEEL_CHECK(slots_[hole].block >= 0, "erasing a key that is not in the index");
    hole = (hole + 1) & mask_;
  }
  // Backward shift: move later entries of the probe run into the hole when
  // their home position does not lie cyclically in (hole, their index].
  for (size_t next = (hole + 1) & mask_; slots_[next].block >= 0; next = (next + 1) & mask_) {
    const size_t want = home(slots_[next].key);
    const bool stays = hole <= next ? (hole < want && want <= next) : (hole < want || want <= next);
    if (stays) continue;
    slots_[hole] = slots_[next];
    hole = next;
  }
  slots_[hole] = Slot{};
  --size_;
}

}  // namespace keel
