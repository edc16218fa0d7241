// PrefixCache: which full blocks hold which content, so that a new request
// can reuse the KV of a prefix that an earlier request computed.
//
// A published block is indexed under block_key(parent key, its tokens) and
// remembers both, so a hit is confirmed by comparing them (a 64-bit key
// collision can never make two different prefixes share a block). When the
// last table holding an indexed block lets go, the block becomes cached:
// still findable, and evictable through the EvictionPolicy. Per-block
// state lives in arrays sized once for the pool.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kv/block_key_index.h"
#include "kv/eviction_policy.h"

namespace keel {

class PrefixCache {
 public:
  PrefixCache(int32_t blocks, int32_t block_size, EvictionPolicyKind policy, bool enabled);

  bool enabled() const { return enabled_; }

  // The indexed block whose content is exactly (parent_key, tokens), or -1.
  // `tokens` is one full block. Sets *key to the content's key.
  int32_t find(uint64_t parent_key, std::span<const int32_t> tokens, uint64_t* key) const;

  // `block` now holds (parent_key, tokens) for good; indexes it unless
  // reuse is off or another block already holds that key. Returns the key.
  uint64_t publish(int32_t block, uint64_t parent_key, std::span<const int32_t> tokens);

  // A lookup hit `block`. If it was cached it leaves the evictable set.
  void on_hit(int32_t block, bool was_cached);
  // The block's refcount reached 0 at time `now` (any monotonic clock, in
  // nanoseconds). Returns true if it is now cached; false means it holds
  // nothing reusable and the caller frees it.
  bool on_unreferenced(int32_t block, int64_t now = 0);
  // Reclaims one cached block (it is unindexed and ready for new content),
  // or returns -1 when nothing is cached.
  int32_t evict();
  // Idle-cache expiry: looks at the next `budget` block ids after the last
  // call's (round the pool), and unindexes each that has been cached since
  // before `cutoff` (the same clock as on_unreferenced). Writes the expired
  // block ids, at most `budget`, into `expired` and returns how many; the
  // caller frees them. A sweep of the whole pool takes blocks / budget calls,
  // each O(budget), allocating nothing.
  int32_t expire_idle(int64_t cutoff, int32_t budget, std::span<int32_t> expired);

  bool is_cached(int32_t block) const { return cached_[block] != 0; }
  bool is_indexed(int32_t block) const { return indexed_[block] != 0; }
  int32_t cached_count() const { return cached_count_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t expired() const { return expired_; }

 private:
  // A cached block leaves the index and the cached set (eviction, expiry).
  void forget(int32_t block);

  int32_t block_size_;
  bool enabled_;
  BlockKeyIndex index_;
  std::unique_ptr<EvictionPolicy> policy_;
  std::vector<uint64_t> key_;         // [blocks] content key of an indexed block
  std::vector<uint64_t> parent_key_;  // [blocks]
  std::vector<int32_t> tokens_;       // [blocks][block_size]
  std::vector<uint8_t> indexed_;      // [blocks]
  std::vector<uint8_t> cached_;       // [blocks] indexed with refcount 0
  std::vector<uint8_t> reused_;       // [blocks] hit at least once since published
  std::vector<int64_t> cached_since_;  // [blocks] when a cached block was last released
  int32_t cached_count_ = 0;
  int32_t sweep_cursor_ = 0;          // where the next expire_idle looks
  uint64_t evictions_ = 0;
  uint64_t expired_ = 0;
};

}  // namespace keel
