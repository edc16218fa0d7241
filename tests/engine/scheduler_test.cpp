// The scheduler's decisions, step by step, with nothing but the block
// manager under it and a fake model: after each plan the test plays the
// model's part (the chunk's KV is "computed", a sampling chunk gets one new
// token) and checks exactly which chunks the next step schedules.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "engine/scheduler.h"

namespace keel {
namespace {

struct Chunk {
  int32_t start, count;
  bool samples;
  bool operator==(const Chunk&) const = default;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void make(int32_t blocks, int32_t block_size, int32_t max_batch_tokens, int32_t max_seqs) {
    blocks_ = std::make_unique<BlockManager>(BlockPoolShape{blocks, block_size}, EvictionPolicyKind::kLru, true);
    scheduler_ = std::make_unique<Scheduler>(SchedulerLimits{max_batch_tokens, max_seqs, 64, 8}, *blocks_);
  }
  std::shared_ptr<RequestState> submit(int32_t prompt_length, int32_t first_token) {
    Request request;
    for (int32_t i = 0; i < prompt_length; ++i) request.prompt.push_back(first_token + i);
    request.max_tokens = 8;
    auto state = std::make_shared<RequestState>(next_id_++, std::move(request), 1000, 4);
    scheduler_->enqueue(state);
    return state;
  }
  // One step: the plan as (request, chunk) pairs; then the fake model runs it.
  std::vector<std::pair<const RequestState*, Chunk>> step() {
    std::vector<ScheduledChunk> plan;
    scheduler_->schedule(plan);
    std::vector<std::pair<const RequestState*, Chunk>> out;
    for (const ScheduledChunk& c : plan) {
      RequestState& request = *scheduler_->sequence(c.slot).request;
      out.push_back({&request, Chunk{c.start, c.count, c.samples}});
      scheduler_->complete_chunk(c);
      if (c.samples) request.tokens.push_back(7);  // the fake model's next token
    }
    EXPECT_TRUE(scheduler_->check_invariants().ok());
    return out;
  }
  std::unique_ptr<BlockManager> blocks_;
  std::unique_ptr<Scheduler> scheduler_;
  uint64_t next_id_ = 1;
};

using Plan = std::vector<std::pair<const RequestState*, Chunk>>;

TEST_F(SchedulerTest, ChunksPrefillsUnderTheBudgetAndMixesThemWithDecodes) {
  make(/*blocks=*/16, /*block_size=*/4, /*max_batch_tokens=*/8, /*max_seqs=*/2);
  const auto a = submit(10, 100), b = submit(3, 200), c = submit(5, 300);
  // The budget of 8 goes to A's first chunk; B waits for budget.
  EXPECT_EQ(step(), (Plan{{a.get(), {0, 8, false}}}));
  // A's last 2 prompt tokens (they sample), then B's whole prompt; C waits:
  // two sequences run at most.
  EXPECT_EQ(step(), (Plan{{a.get(), {8, 2, true}}, {b.get(), {0, 3, true}}}));
  EXPECT_EQ(scheduler_->waiting_count(), 1);
  // Both decode one token each, oldest admission first.
  EXPECT_EQ(step(), (Plan{{a.get(), {10, 1, true}}, {b.get(), {3, 1, true}}}));
  // B ends; C takes its slot beside A's decode.
  scheduler_->retire(scheduler_->running()[1]);
  EXPECT_EQ(step(), (Plan{{a.get(), {11, 1, true}}, {c.get(), {0, 5, true}}}));
}

TEST_F(SchedulerTest, PreemptsTheNewestSequenceWhenBlocksRunOut) {
  make(/*blocks=*/4, /*block_size=*/4, /*max_batch_tokens=*/16, /*max_seqs=*/2);
  const auto a = submit(8, 100), b = submit(7, 200);
  EXPECT_EQ(step(), (Plan{{a.get(), {0, 8, true}}, {b.get(), {0, 7, true}}}));
  // B's 8th position still fits its second block; A's 9th needs a third
  // block and the pool is full: B, the newest, is preempted (its full block
  // stays cached, its private one is freed) and goes back to the queue.
  EXPECT_EQ(step(), (Plan{{a.get(), {8, 1, true}}}));
  EXPECT_EQ(scheduler_->counters().preemptions, 1u);
  EXPECT_EQ(scheduler_->waiting_count(), 1);
  EXPECT_EQ(scheduler_->running().size(), 1u);
  // Not in the same step as a preemption, but now B is readmitted: its
  // cached first block is a prefix hit, so only positions 4.. are computed.
  scheduler_->retire(scheduler_->running()[0]);
  EXPECT_EQ(step(), (Plan{{b.get(), {4, 4, true}}}));
}

}  // namespace
}  // namespace keel
