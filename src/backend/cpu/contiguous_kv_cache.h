// ContiguousKvCache: the simplest KvCache. Every slot owns room for
// `capacity` positions in every layer, reserved once at creation:
//   keys, values: [slots][layers][capacity][kv_heads * head_dim] float32.
// It stands in until the paged block pool (src/kv) exists; attention
// reaches it only through KvCache::run_at, so the swap changes no math.
#pragma once

#include <cstddef>
#include <vector>

#include "backend/kv_cache.h"

namespace keel {

class ContiguousKvCache final : public KvCache {
 public:
  ContiguousKvCache(int32_t slots, int32_t layers, int32_t capacity, int64_t row_width);

  int64_t row_width() const override { return row_width_; }
  int32_t layers() const override { return layers_; }
  int32_t slots() const override { return slots_; }
  int32_t capacity() const override { return capacity_; }
  Run run_at(int32_t slot, int32_t layer, int32_t position) const override;

  // Bytes reserved for keys and values together.
  size_t reserved_bytes() const { return 2 * keys_.size() * sizeof(float); }

 private:
  int32_t slots_;
  int32_t layers_;
  int32_t capacity_;
  int64_t row_width_;
  mutable std::vector<float> keys_;    // run_at hands out writable rows from a const cache
  mutable std::vector<float> values_;
};

}  // namespace keel
