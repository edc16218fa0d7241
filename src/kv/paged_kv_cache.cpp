#include "kv/paged_kv_cache.h"

#include "core/check.h"

namespace keel {

PagedKvCache::PagedKvCache(const BlockPool& pool, int32_t slots, int32_t capacity)
    : pool_(pool), capacity_(capacity), tables_(static_cast<size_t>(slots), nullptr) {}

KvCache::Run PagedKvCache::run_at(int32_t slot, int32_t layer, int32_t position) const {
  const BlockTable* table = tables_[slot];
  const int32_t bs = pool_.shape().block_size;
  const int32_t index = position / bs;
  KEEL_CHECK(table != nullptr && index < table->size(), "KV position outside the sequence's blocks");
  const int32_t block = table->blocks()[index];
  const int32_t row = position % bs;
  const int64_t offset = int64_t{row} * row_width();
  return Run{pool_.keys(block, layer) + offset, pool_.values(block, layer) + offset, bs - row};
}

}  // namespace keel
