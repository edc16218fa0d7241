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

}  // namespace
}  // namespace keel
