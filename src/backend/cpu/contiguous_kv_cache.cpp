#include "backend/cpu/contiguous_kv_cache.h"

#include "core/check.h"

namespace keel {

ContiguousKvCache::ContiguousKvCache(int32_t slots, int32_t layers, int32_t capacity, int64_t row_width)
    : slots_(slots),
      layers_(layers),
      capacity_(capacity),
      row_width_(row_width),
      keys_(static_cast<size_t>(slots) * layers * capacity * row_width),
      values_(keys_.size()) {
  KEEL_CHECK(slots > 0 && layers > 0 && capacity > 0 && row_width > 0, "empty KV cache");
}

KvCache::Run ContiguousKvCache::run_at(int32_t slot, int32_t layer, int32_t position) const {
  KEEL_CHECK(slot >= 0 && slot < slots_, "KV slot out of range");
  KEEL_CHECK(layer >= 0 && layer < layers_, "KV layer out of range");
  KEEL_CHECK(position >= 0 && position < capacity_, "KV position out of range");
  const size_t row = (static_cast<size_t>(slot) * layers_ + layer) * capacity_ + position;
  return Run{keys_.data() + row * row_width_, values_.data() + row * row_width_, capacity_ - position};
}

}  // namespace keel
