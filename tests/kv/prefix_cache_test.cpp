// PrefixCache: publish, find, cache on release, evict.
#include "kv/prefix_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace keel {
namespace {

TEST(PrefixCache, PublishedBlockIsFoundOnlyForTheSameParentAndTokens) {
  PrefixCache cache(/*blocks=*/8, /*block_size=*/4, EvictionPolicyKind::kSlru, /*enabled=*/true);
  const std::vector<int32_t> first = {1, 2, 3, 4}, second = {5, 6, 7, 8};
  const uint64_t root = 0;
  const uint64_t first_key = cache.publish(/*block=*/2, root, first);
  const uint64_t second_key = cache.publish(/*block=*/5, first_key, second);

  uint64_t key = 0;
  EXPECT_EQ(cache.find(root, first, &key), 2);
  EXPECT_EQ(key, first_key);
  EXPECT_EQ(cache.find(first_key, second, &key), 5);
  EXPECT_EQ(key, second_key);
  // The same tokens after another prefix are other content.
  EXPECT_EQ(cache.find(root, second, &key), -1);
  EXPECT_EQ(cache.find(root, std::vector<int32_t>{1, 2, 3, 5}, &key), -1);
}

TEST(PrefixCache, ReleasedBlocksStayFindableUntilEvicted) {
  PrefixCache cache(8, 4, EvictionPolicyKind::kLru, true);
  const std::vector<int32_t> tokens = {9, 9, 9, 9};
  cache.publish(3, 0, tokens);
  EXPECT_TRUE(cache.on_unreferenced(3));  // indexed: becomes cached, not freed
  EXPECT_TRUE(cache.is_cached(3));
  EXPECT_EQ(cache.cached_count(), 1);
  uint64_t key = 0;
  EXPECT_EQ(cache.find(0, tokens, &key), 3);

  EXPECT_EQ(cache.evict(), 3);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_FALSE(cache.is_indexed(3));
  EXPECT_EQ(cache.find(0, tokens, &key), -1);
  EXPECT_EQ(cache.evict(), -1);
}

TEST(PrefixCache, AHitTakesACachedBlockOutOfTheEvictableSet) {
  PrefixCache cache(8, 4, EvictionPolicyKind::kLru, true);
  const std::vector<int32_t> tokens = {1, 1, 2, 2};
  cache.publish(1, 0, tokens);
  ASSERT_TRUE(cache.on_unreferenced(1));
  cache.on_hit(1, /*was_cached=*/true);
  EXPECT_FALSE(cache.is_cached(1));
  EXPECT_EQ(cache.evict(), -1) << "a block in use must never be evicted";
}

TEST(PrefixCache, DisabledCacheIndexesNothing) {
  PrefixCache cache(8, 4, EvictionPolicyKind::kSlru, /*enabled=*/false);
  const std::vector<int32_t> tokens = {1, 2, 3, 4};
  cache.publish(0, 0, tokens);
  uint64_t key = 0;
  EXPECT_EQ(cache.find(0, tokens, &key), -1);
  EXPECT_FALSE(cache.on_unreferenced(0)) << "nothing reusable: the caller frees it";
}

// Idle-cache expiry: a block cached since before the cutoff leaves the
// index (and the evictable set) and is handed back; one cached later, one
// in use, and one never indexed stay; each call looks at `budget` ids,
// round the pool.
TEST(PrefixCache, ExpireIdleUnindexesOnlyBlocksCachedBeforeTheCutoff) {
  for (EvictionPolicyKind policy : {EvictionPolicyKind::kLru, EvictionPolicyKind::kSlru}) {
    PrefixCache cache(8, 2, policy, true);
    cache.publish(1, 0, std::vector<int32_t>{1, 1});
    cache.publish(2, 0, std::vector<int32_t>{2, 2});
    cache.publish(3, 0, std::vector<int32_t>{3, 3});
    ASSERT_TRUE(cache.on_unreferenced(1, /*now=*/100));  // idle since 100
    ASSERT_TRUE(cache.on_unreferenced(2, /*now=*/300));  // idle since 300; block 3 stays in use
    std::vector<int32_t> expired(8, -1);
    // Ids 0..3 this call: only block 1 was cached before 200.
    EXPECT_EQ(cache.expire_idle(/*cutoff=*/200, /*budget=*/4, expired), 1);
    EXPECT_EQ(expired[0], 1);
    EXPECT_FALSE(cache.is_indexed(1));
    EXPECT_FALSE(cache.is_cached(1));
    EXPECT_TRUE(cache.is_cached(2));
    EXPECT_TRUE(cache.is_indexed(3));
    EXPECT_EQ(cache.cached_count(), 1);
    EXPECT_EQ(cache.expired(), 1u);
    uint64_t key = 0;
    EXPECT_EQ(cache.find(0, std::vector<int32_t>{1, 1}, &key), -1);
    // Ids 4..7, then 0..3 again: nothing more before 200; before 400, block 2.
    EXPECT_EQ(cache.expire_idle(200, 4, expired), 0);
    EXPECT_EQ(cache.expire_idle(400, 4, expired), 1);
    EXPECT_EQ(expired[0], 2);
    EXPECT_EQ(cache.evict(), -1) << "an expired block must have left the evictable set";
    EXPECT_EQ(cache.cached_count(), 0);
  }
}

}  // namespace
}  // namespace keel
