// BlockManager::check names each way the KV accounting can break, and
// reset() starts the accounting over (the engine's quarantine).
#include "kv/block_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keel {
namespace {

// Two tables: one holding two full, committed blocks, one holding a partial block.
struct Pool {
  BlockManager blocks{BlockPoolShape{/*blocks=*/8, /*block_size=*/4}, EvictionPolicyKind::kLru, /*prefix_cache=*/true};
  BlockTable first{8}, second{8};
  std::vector<const BlockTable*> tables{&first, &second};
  std::vector<int32_t> tokens{1, 2, 3, 4, 5, 6, 7, 8};

  Pool() {
    EXPECT_TRUE(blocks.grow(first, 8));
    blocks.commit_full_blocks(first, tokens, 8);
    EXPECT_TRUE(blocks.grow(second, 3));
  }
  std::string violation() const {
    const Status checked = blocks.check(tables);
    return checked.ok() ? "" : checked.error().message;
  }
};

TEST(BlockManagerCheck, SoundAccountingPasses) {
  Pool pool;
  EXPECT_EQ(pool.violation(), "");
  pool.blocks.release(pool.first);  // two blocks become cached
  pool.tables = {&pool.second};
  EXPECT_EQ(pool.violation(), "");
  EXPECT_EQ(pool.blocks.stats().cached, 2);
}

TEST(BlockManagerCheck, ReferenceWithoutHolderIsNamed) {
  Pool pool;
  pool.blocks.pool().add_ref(pool.first.blocks()[0]);
  EXPECT_NE(pool.violation().find("refcount 2 but 1 tables hold it"), std::string::npos) << pool.violation();
}

TEST(BlockManagerCheck, FreeBlockWithAReferenceIsNamed) {
  Pool pool;
  pool.blocks.pool().add_ref(7);  // block 7 is still on the free list
  EXPECT_NE(pool.violation().find("block 7 is free and in use"), std::string::npos) << pool.violation();
}

TEST(BlockManagerCheck, BlockFreedTwiceIsNamed) {
  Pool pool;
  const int32_t block = pool.second.blocks()[0];
  pool.blocks.pool().drop_ref(block);
  pool.blocks.pool().give_back(block);
  pool.blocks.pool().give_back(block);
  pool.second.clear();
  EXPECT_NE(pool.violation().find("is on the free list twice"), std::string::npos) << pool.violation();
}

TEST(BlockManagerCheck, LostBlockBreaksTheTotal) {
  Pool pool;
  pool.blocks.pool().drop_ref(pool.second.blocks()[0]);  // neither free, used nor cached
  pool.second.clear();
  EXPECT_NE(pool.violation().find("!= total 8"), std::string::npos) << pool.violation();
}

TEST(BlockManagerCheck, ResetStartsOverAndKeepsTheCounters) {
  Pool pool;
  pool.blocks.release(pool.first);
  pool.first.clear();
  BlockTable filler(8);
  ASSERT_TRUE(pool.blocks.grow(filler, 24));  // 6 blocks: the 5 free ones and one evicted
  const uint64_t evictions = pool.blocks.stats().evictions;
  ASSERT_EQ(evictions, 1u);
  pool.blocks.pool().add_ref(filler.blocks()[0]);  // broken
  pool.tables = {&filler, &pool.second};
  EXPECT_NE(pool.violation(), "");

  pool.blocks.reset();
  filler.clear();
  pool.second.clear();
  pool.tables.clear();
  EXPECT_EQ(pool.violation(), "");
  const KvStats stats = pool.blocks.stats();
  EXPECT_EQ(stats.free, 8);
  EXPECT_EQ(stats.cached, 0);
  EXPECT_EQ(stats.evictions, evictions) << "counters are monotonic across a reset";
  BlockTable probe(8);
  EXPECT_EQ(pool.blocks.match_prefix(pool.tokens, 2, probe), 0) << "nothing stays cached";
}

}  // namespace
}  // namespace keel
