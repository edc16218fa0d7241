// KvCache: where attention keeps the keys and values of past tokens.
//
// The model's forward writes each new token's K and V rows into the cache
// and then attends over every stored position of that token's sequence.
// It reaches the storage only through `run_at`, which returns a run of
// consecutive positions stored contiguously. A cache that keeps one dense
// array per sequence returns one long run; a paged cache (fixed-size blocks
// found through a per-sequence block table) returns the rest of one block.
// Attention code is therefore the same for both.
#pragma once

#include <cstdint>

namespace keel {

class KvCache {
 public:
  // `count` consecutive positions starting at the requested one; position
  // p + i has its key row at keys + i * row_width() (values likewise).
  struct Run {
    float* keys = nullptr;
    float* values = nullptr;
    int32_t count = 0;
  };

  virtual ~KvCache() = default;

  // Floats per stored row: kv_heads * head_dim.
  virtual int64_t row_width() const = 0;
  virtual int32_t layers() const = 0;
  // Sequence slots addressable by ForwardBatch::sequence_slot.
  virtual int32_t slots() const = 0;
  // Positions a slot can hold (positions are 0 .. capacity-1).
  virtual int32_t capacity() const = 0;

  // The storage run that begins at `position` of sequence `slot` in
  // `layer`. Requires slot < slots(), layer < layers(), position <
  // capacity(). Safe to call from several threads at once.
  virtual Run run_at(int32_t slot, int32_t layer, int32_t position) const = 0;
};

}  // namespace keel
