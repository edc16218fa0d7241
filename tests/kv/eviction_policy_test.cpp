// Victim order of the eviction policies, checked on small hand-made
// sequences whose right answer follows from each policy's definition.
#include "kv/eviction_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace keel {
namespace {

std::vector<int32_t> drain(EvictionPolicy& policy) {
  std::vector<int32_t> order;
  for (int32_t block; (block = policy.victim()) != -1;) order.push_back(block);
  return order;
}

TEST(EvictionPolicy, LruEvictsLeastRecentlyReleasedFirst) {
  auto lru = make_eviction_policy(EvictionPolicyKind::kLru, 8);
  for (int32_t block : {3, 1, 4, 5}) lru->insert(block, /*reused=*/false);
  lru->remove(1);        // taken back into use by a hit
  lru->insert(1, true);  // released again: now the most recent
  EXPECT_EQ(lru->size(), 4);
  EXPECT_EQ(drain(*lru), (std::vector<int32_t>{3, 4, 5, 1}));
  EXPECT_EQ(lru->size(), 0);
}

TEST(EvictionPolicy, SlruEvictsBlocksNeverReusedBeforeReusedOnes) {
  auto slru = make_eviction_policy(EvictionPolicyKind::kSlru, 8);
  slru->insert(0, /*reused=*/true);   // a hot prefix, hit before
  slru->insert(1, /*reused=*/false);  // one-off prompts
  slru->insert(2, /*reused=*/false);
  slru->insert(3, /*reused=*/true);
  // Probation (never reused) goes first, oldest first; then protected.
  EXPECT_EQ(drain(*slru), (std::vector<int32_t>{1, 2, 0, 3}));
}

TEST(EvictionPolicy, SlruSurvivesAScanThatLruDoesNot) {
  // One hot block, then a scan of one-off blocks longer than the pool
  // would hold: after as many evictions as there are scan blocks, SLRU
  // still has the hot block and LRU evicted it first.
  for (auto kind : {EvictionPolicyKind::kLru, EvictionPolicyKind::kSlru}) {
    auto policy = make_eviction_policy(kind, 16);
    policy->insert(0, /*reused=*/true);
    std::vector<int32_t> evicted;
    for (int32_t block = 1; block <= 10; ++block) {
      policy->insert(block, /*reused=*/false);
      if (policy->size() > 4) evicted.push_back(policy->victim());  // a pool of 4 cached blocks
    }
    const bool hot_evicted = std::find(evicted.begin(), evicted.end(), 0) != evicted.end();
    EXPECT_EQ(hot_evicted, kind == EvictionPolicyKind::kLru) << eviction_policy_name(kind);
  }
}

TEST(EvictionPolicy, NamesParseBothWays) {
  for (auto kind : {EvictionPolicyKind::kLru, EvictionPolicyKind::kSlru})
    EXPECT_EQ(parse_eviction_policy(eviction_policy_name(kind)), kind);
  EXPECT_FALSE(parse_eviction_policy("fifo").has_value());
}

}  // namespace
}  // namespace keel
