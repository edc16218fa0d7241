// PagedKvCache: the KvCache the engine hands to Model::forward. Each slot
// (a running sequence) is bound to its BlockTable; position p of a slot is
// row p % block_size of block table[p / block_size], so run_at returns the
// rest of one block and attention walks a sequence block by block.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/kv_cache.h"
#include "kv/block_pool.h"
#include "kv/block_table.h"

namespace keel {

class PagedKvCache final : public KvCache {
 public:
  // `slots` sequences of at most `capacity` positions each, stored in `pool`.
  PagedKvCache(const BlockPool& pool, int32_t slots, int32_t capacity);

  // Slot `slot` now reads and writes through `table` (null unbinds).
  void bind(int32_t slot, const BlockTable* table) { tables_[slot] = table; }

  int64_t row_width() const override { return pool_.shape().row_width; }
  int32_t layers() const override { return pool_.shape().layers; }
  int32_t slots() const override { return static_cast<int32_t>(tables_.size()); }
  int32_t capacity() const override { return capacity_; }
  Run run_at(int32_t slot, int32_t layer, int32_t position) const override;

 private:
  const BlockPool& pool_;
  int32_t capacity_;
  std::vector<const BlockTable*> tables_;  // [slots]
};

}  // namespace keel
