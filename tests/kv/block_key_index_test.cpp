// BlockKeyIndex against std::unordered_map on random inserts and erases,
// with keys chosen to collide in the table's low bits so that linear
// probing and backward-shift deletion are exercised.
#include "kv/block_key_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace keel {
namespace {

TEST(BlockKeyIndex, AgreesWithAMapUnderRandomInsertsAndErases) {
  constexpr int32_t kBlocks = 64;
  BlockKeyIndex index(kBlocks);
  std::unordered_map<uint64_t, int32_t> reference;
  std::mt19937_64 rng(5);
  // Keys share their low 8 bits in small groups: long probe chains.
  auto random_key = [&] { return (rng() % 40) << 8 | (rng() % 3); };

  for (int step = 0; step < 20000; ++step) {
    const uint64_t key = random_key();
    const bool present = reference.count(key) != 0;
    if (present && rng() % 2 == 0) {
      index.erase(key);
      reference.erase(key);
    } else if (!present && static_cast<int32_t>(reference.size()) < kBlocks) {
      const auto block = static_cast<int32_t>(rng() % kBlocks);
      ASSERT_TRUE(index.insert(key, block));
      reference[key] = block;
    } else if (present) {
      EXPECT_FALSE(index.insert(key, 0)) << "a taken key must not be overwritten";
    }
    ASSERT_EQ(index.size(), static_cast<int32_t>(reference.size()));
    // Every key the map holds is found with its block; a few absent ones are not.
    for (const auto& [k, block] : reference) ASSERT_EQ(index.find(k), block) << "step " << step;
    const uint64_t absent = random_key();
    if (!reference.count(absent)) {
      ASSERT_EQ(index.find(absent), -1);
    }
  }
}

}  // namespace
}  // namespace keel
