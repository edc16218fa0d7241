#include "kv/prefix_cache.h"

#include <algorithm>

#include "core/check.h"
#include "kv/block_hash.h"

namespace keel {

PrefixCache::PrefixCache(int32_t blocks, int32_t block_size, EvictionPolicyKind policy, bool enabled)
    : block_size_(block_size),
      enabled_(enabled),
      index_(blocks),
      policy_(make_eviction_policy(policy, blocks)),
      key_(static_cast<size_t>(blocks), 0),
      parent_key_(static_cast<size_t>(blocks), 0),
      tokens_(static_cast<size_t>(blocks) * block_size, 0),
      indexed_(static_cast<size_t>(blocks), 0),
      cached_(static_cast<size_t>(blocks), 0),
      reused_(static_cast<size_t>(blocks), 0),
      cached_since_(static_cast<size_t>(blocks), 0) {}

int32_t PrefixCache::find(uint64_t parent_key, std::span<const int32_t> tokens, uint64_t* key) const {
  KEEL_CHECK(static_cast<int32_t>(tokens.size()) == block_size_, "prefix lookups take whole blocks");
  *key = block_key(parent_key, tokens);
  if (!enabled_) return -1;
  const int32_t block = index_.find(*key);
  if (block < 0) return -1;
  // Confirm: same parent and same tokens, not merely the same 64-bit key.
  const int32_t* stored = tokens_.data() + static_cast<size_t>(block) * block_size_;
  if (parent_key_[block] != parent_key || !std::equal(tokens.begin(), tokens.end(), stored)) return -1;
  return block;
}

uint64_t PrefixCache::publish(int32_t block, uint64_t parent_key, std::span<const int32_t> tokens) {
  KEEL_CHECK(static_cast<int32_t>(tokens.size()) == block_size_, "only full blocks are published");
  KEEL_CHECK(!indexed_[block], "publishing an already indexed block");
  const uint64_t key = block_key(parent_key, tokens);
  if (!enabled_ || !index_.insert(key, block)) return key;  // reuse off, or an equal block exists
  key_[block] = key;
  parent_key_[block] = parent_key;
  std::copy(tokens.begin(), tokens.end(), tokens_.begin() + static_cast<ptrdiff_t>(block) * block_size_);
  indexed_[block] = 1;
  reused_[block] = 0;
  return key;
}

void PrefixCache::on_hit(int32_t block, bool was_cached) {
  KEEL_CHECK(indexed_[block], "a prefix hit on an unindexed block");
  reused_[block] = 1;
  if (!was_cached) return;
  KEEL_CHECK(cached_[block], "block state out of step with its refcount");
  policy_->remove(block);
  cached_[block] = 0;
  --cached_count_;
}

bool PrefixCache::on_unreferenced(int32_t block, int64_t now) {
  if (!indexed_[block]) return false;
  policy_->insert(block, reused_[block] != 0);
  cached_[block] = 1;
  cached_since_[block] = now;
  ++cached_count_;
  return true;
}

int32_t PrefixCache::evict() {
  const int32_t block = policy_->victim();
  if (block < 0) return -1;
  forget(block);
  ++evictions_;
  return block;
}

int32_t PrefixCache::expire_idle(int64_t cutoff, int32_t budget, std::span<int32_t> expired) {
  const auto blocks = static_cast<int32_t>(cached_.size());
  budget = std::min({budget, blocks, static_cast<int32_t>(expired.size())});
  int32_t count = 0;
  for (int32_t i = 0; i < budget; ++i) {
    const int32_t block = sweep_cursor_;
    sweep_cursor_ = sweep_cursor_ + 1 == blocks ? 0 : sweep_cursor_ + 1;
    if (!cached_[block] || cached_since_[block] >= cutoff) continue;
    policy_->remove(block);
    forget(block);
    ++expired_;
    expired[static_cast<size_t>(count++)] = block;
  }
  return count;
}

void PrefixCache::forget(int32_t block) {
  index_.erase(key_[block]);
  indexed_[block] = 0;
  cached_[block] = 0;
  reused_[block] = 0;
  --cached_count_;
}

}  // namespace keel
