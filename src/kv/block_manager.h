// BlockManager: the KV memory as the scheduler sees it — the pool, the
// prefix cache and the block tables that hold blocks, kept consistent.
//
// Invariants (check() verifies them; tests call it after every step):
//   free + used + cached == total
//   every used block's refcount == the number of tables that hold it
//   a cached block has refcount 0 and is indexed by the prefix cache
// Only full, committed blocks are ever shared, and a table only writes
// into blocks past its committed ones, so no sequence writes into a block
// another sequence reads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "kv/block_pool.h"
#include "kv/block_table.h"
#include "kv/eviction_policy.h"
#include "kv/kv_stats.h"
#include "kv/prefix_cache.h"

namespace keel {

class BlockManager {
 public:
  BlockManager(const BlockPoolShape& shape, EvictionPolicyKind policy, bool prefix_cache);

  BlockPool& pool() { return pool_; }
  const BlockPool& pool() const { return pool_; }
  int32_t block_size() const { return pool_.shape().block_size; }
  int32_t total() const { return pool_.shape().blocks; }
  // Blocks a new allocation can get: free now, or cached and evictable.
  int32_t available() const { return pool_.free_count() + cache_.cached_count(); }
  // Blocks needed to hold `positions` positions.
  int32_t blocks_for(int32_t positions) const { return (positions + block_size() - 1) / block_size(); }

  // Appends to the empty `table` the longest chain of indexed blocks whose
  // content equals the leading whole blocks of `tokens`, at most
  // `max_blocks`. Returns the number of blocks reused.
  int32_t match_prefix(std::span<const int32_t> tokens, int32_t max_blocks, BlockTable& table);

  // Adds blocks so that `table` holds `positions` positions. Returns false
  // (and changes nothing) if too few blocks are available.
  bool grow(BlockTable& table, int32_t positions);

  // Commits every block of `table` that `computed` positions of `tokens`
  // have filled: keys it and offers it to the prefix cache.
  void commit_full_blocks(BlockTable& table, std::span<const int32_t> tokens, int32_t computed);

  // Lets go of every block of `table` (leaf first, so that eviction takes
  // the end of a chain before its start) and clears it. A block that
  // becomes cached is stamped with the time of set_now().
  void release(BlockTable& table);

  // The engine's monotonic time (nanoseconds) for the step under way: what
  // release() stamps cached blocks with, and idle-cache expiry measures.
  void set_now(int64_t now) { now_ = now; }

  // Returns to the free list the cached blocks released before `cutoff`
  // among the next `budget` block ids (PrefixCache::expire_idle). Returns
  // how many it freed.
  int32_t expire_idle(int64_t cutoff, int32_t budget);

  KvStats stats() const;
  // Verifies the invariants against every table that holds blocks: each
  // block's refcount equals the tables holding it, no block is in two
  // states (free, in use, cached) or twice on the free stack, and
  // free + used + cached == total. Allocates only to describe a
  // violation, so the step loop can run it.
  Status check(std::span<const BlockTable* const> tables) const;

  // Forgets every block's state: all free, nothing cached (the quarantine
  // after a failed check, or a pool re-reserved by an engine restart).
  // The eviction and expiry counters carry on. Tables that held blocks
  // must be cleared without release(). Allocates: not a step-loop path.
  void reset();

 private:
  int32_t take_block();  // free first, else evict; -1 if neither

  EvictionPolicyKind policy_;
  bool prefix_cache_;
  BlockPool pool_;
  PrefixCache cache_;
  std::vector<int32_t> expired_;          // [blocks] scratch of expire_idle
  mutable std::vector<int32_t> holders_;  // [blocks] scratch of check
  uint64_t evictions_before_reset_ = 0, expired_before_reset_ = 0;
  int64_t now_ = 0;
};

}  // namespace keel
