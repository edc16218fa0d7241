#include "kv/block_manager.h"

#include <algorithm>
#include <string>
#include <vector>

namespace keel {

BlockManager::BlockManager(const BlockPoolShape& shape, EvictionPolicyKind policy, bool prefix_cache)
    : policy_(policy),
      prefix_cache_(prefix_cache),
      pool_(shape),
      cache_(shape.blocks, shape.block_size, policy, prefix_cache),
      expired_(static_cast<size_t>(shape.blocks)),
      holders_(static_cast<size_t>(shape.blocks)) {}

void BlockManager::reset() {
  const KvStats before = stats();
  const int64_t now = now_;
  *this = BlockManager(pool_.shape(), policy_, prefix_cache_);
  evictions_before_reset_ = before.evictions;
  expired_before_reset_ = before.expired;
  now_ = now;
}

int32_t BlockManager::match_prefix(std::span<const int32_t> tokens, int32_t max_blocks, BlockTable& table) {
  KEEL_CHECK(table.size() == 0, "prefix matching starts from an empty table");
  const int32_t bs = block_size();
  int32_t matched = 0;
  while (matched < max_blocks && (matched + 1) * bs <= static_cast<int32_t>(tokens.size())) {
    uint64_t key = 0;
    const int32_t block = cache_.find(table.last_key(), tokens.subspan(static_cast<size_t>(matched) * bs, bs), &key);
    if (block < 0) break;
    const bool was_cached = pool_.refcount(block) == 0;
    cache_.on_hit(block, was_cached);
    pool_.add_ref(block);
    table.push(block);
    table.commit(key);
    ++matched;
  }
  return matched;
}

int32_t BlockManager::take_block() {
  const int32_t block = pool_.take_free();
  if (block >= 0) return block;
  const int32_t evicted = cache_.evict();
  if (evicted >= 0) pool_.add_ref(evicted);  // refcount 0 -> 1: now held by the caller's table
  return evicted;
}

bool BlockManager::grow(BlockTable& table, int32_t positions) {
  const int32_t needed = blocks_for(positions) - table.size();
  if (needed <= 0) return true;
  if (needed > available() || table.size() + needed > table.capacity()) return false;
  for (int32_t i = 0; i < needed; ++i) {
    const int32_t block = take_block();
    KEEL_CHECK(block >= 0, "available() promised a block");
    table.push(block);
  }
  return true;
}

void BlockManager::commit_full_blocks(BlockTable& table, std::span<const int32_t> tokens, int32_t computed) {
  const int32_t bs = block_size();
  while (table.committed() < computed / bs) {
    const int32_t i = table.committed();
    const int32_t block = table.blocks()[i];
    table.commit(cache_.publish(block, table.last_key(), tokens.subspan(static_cast<size_t>(i) * bs, bs)));
  }
}

void BlockManager::release(BlockTable& table) {
  const std::span<const int32_t> blocks = table.blocks();
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    if (pool_.drop_ref(*it) > 0) continue;
    if (!cache_.on_unreferenced(*it, now_)) pool_.give_back(*it);
  }
  table.clear();
}

int32_t BlockManager::expire_idle(int64_t cutoff, int32_t budget) {
  const int32_t count = cache_.expire_idle(cutoff, budget, expired_);
  for (int32_t i = 0; i < count; ++i) pool_.give_back(expired_[static_cast<size_t>(i)]);
  return count;
}

KvStats BlockManager::stats() const {
  KvStats s;
  s.total = total();
  s.free = pool_.free_count();
  s.cached = cache_.cached_count();
  s.used = s.total - s.free - s.cached;
  s.evictions = evictions_before_reset_ + cache_.evictions();
  s.expired = expired_before_reset_ + cache_.expired();
  return s;
}

Status BlockManager::check(std::span<const BlockTable* const> tables) const {
  std::vector<int32_t>& holders = holders_;
  std::fill(holders.begin(), holders.end(), 0);
  for (const BlockTable* table : tables)
    for (int32_t block : table->blocks()) {
      if (block < 0 || block >= total())
        return Error{"a block table holds block " + std::to_string(block) + ", outside the pool"};
      ++holders[block];
    }
  // A free block has no holder, no reference and no cache entry, and is on
  // the free stack once: mark it with -1 (holders are never negative).
  for (const int32_t block : pool_.free_blocks()) {
    if (block < 0 || block >= total()) return Error{"the free list holds block " + std::to_string(block) + ", outside the pool"};
    if (holders[block] == -1) return Error{"block " + std::to_string(block) + " is on the free list twice"};
    if (holders[block] != 0 || pool_.refcount(block) != 0)
      return Error{"block " + std::to_string(block) + " is free and in use"};
    if (cache_.is_cached(block)) return Error{"block " + std::to_string(block) + " is free and cached"};
    holders[block] = -1;
  }
  int32_t used = 0, cached = 0;
  for (int32_t b = 0; b < total(); ++b) {
    if (holders[b] < 0) continue;  // free, checked above
    if (holders[b] != pool_.refcount(b))
      return Error{"block " + std::to_string(b) + " has refcount " + std::to_string(pool_.refcount(b)) + " but " +
                   std::to_string(holders[b]) + " tables hold it"};
    if (pool_.refcount(b) > 0) {
      ++used;
      if (cache_.is_cached(b)) return Error{"block " + std::to_string(b) + " is in use and cached"};
    } else if (cache_.is_cached(b)) {
      ++cached;
      if (!cache_.is_indexed(b)) return Error{"cached block " + std::to_string(b) + " is not indexed"};
    }
  }
  if (cached != cache_.cached_count())
    return Error{"cached count " + std::to_string(cache_.cached_count()) + " but " + std::to_string(cached) +
                 " blocks are cached"};
  if (pool_.free_count() + used + cached != total())
    return Error{"free " + std::to_string(pool_.free_count()) + " + used " + std::to_string(used) + " + cached " +
                 std::to_string(cached) + " != total " + std::to_string(total())};
  return ok_status();
}

}  // namespace keel
