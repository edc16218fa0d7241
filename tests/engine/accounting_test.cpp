// Guarantee 3: KV accounting is exact on randomized traces — random
// arrivals, lengths, cancellations, deadlines, and a pool so small that
// sequences are preempted.
#include "engine_test_support.h"

namespace keel::testing {
namespace {

TEST(EngineAccounting, RandomTracesKeepEveryBlockAccountedFor) {
  const auto& config = tiny_model().model->config();
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    std::mt19937 rng(seed);
    EngineOptions options;
    options.kv_block_size = 4;
    options.max_seqs = 6;
    options.max_batch_tokens = 48;
    options.prefix_cache_policy = seed % 2 ? EvictionPolicyKind::kSlru : EvictionPolicyKind::kLru;
    options.kv_cache_memory = 24 * (2 * config.layers * 4 * config.kv_heads * config.head_dim * 4);  // 24 blocks
    auto engine = make_engine(options);
    const std::vector<int32_t> shared = random_prompt(rng, 12);

    std::vector<RequestHandle> handles;
    std::vector<char> cancelled, has_deadline;
    std::vector<Outcome> outcomes;
    for (int step = 0; step < 600; ++step) {
      if (handles.size() < 60 && rng() % 3 == 0) {
        std::vector<int32_t> prompt = rng() % 2 ? shared : std::vector<int32_t>{};
        const std::vector<int32_t> tail = random_prompt(rng, 1 + static_cast<int32_t>(rng() % 40));
        prompt.insert(prompt.end(), tail.begin(), tail.end());
        Request request = greedy_request(prompt, 1 + static_cast<int32_t>(rng() % 40), rng() % 2 == 0);
        const bool deadline = rng() % 8 == 0;
        if (deadline) request.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(rng() % 20);
        handles.push_back(engine->submit(request).value());
        cancelled.push_back(0);
        has_deadline.push_back(deadline);
      }
      if (!handles.empty() && rng() % 10 == 0) {
        const size_t victim = rng() % handles.size();
        engine->cancel(handles[victim]);
        cancelled[victim] = 1;
      }
      engine->step_once();
      const Status invariants = engine->check_invariants();
      ASSERT_TRUE(invariants.ok()) << invariants.error().message;
      const EngineStats s = engine->stats();
      ASSERT_EQ(s.blocks_free + s.blocks_used + s.blocks_cached, s.blocks_total);
    }
    outcomes = run_to_completion(*engine, handles);
    ASSERT_TRUE(engine->check_invariants().ok());
    for (size_t i = 0; i < handles.size(); ++i) {
      ASSERT_TRUE(outcomes[i].finish.has_value());
      const FinishCause cause = outcomes[i].finish->cause;
      if (!cancelled[i] && !has_deadline[i]) {
        EXPECT_TRUE(cause != FinishCause::kCancelled && cause != FinishCause::kDeadline && cause != FinishCause::kShutdown)
            << finish_cause_name(cause);
      }
    }
    const EngineStats s = engine->stats();
    EXPECT_EQ(s.blocks_used, 0);
    EXPECT_EQ(s.running, 0);
    EXPECT_EQ(s.waiting, 0);
    EXPECT_GT(s.preemptions, 0u) << "the pool should be small enough to force preemption";
    std::printf("seed %u: %zu requests, %llu preemptions, %llu evictions\n", seed, handles.size(),
                static_cast<unsigned long long>(s.preemptions), static_cast<unsigned long long>(s.evictions));
  }
}

// Preemption recomputes: outputs under a pool that forces it equal the
// outputs of each request alone.
TEST(EngineAccounting, PreemptedRequestsStillProduceTheirOutput) {
  const auto& config = tiny_model().model->config();
  std::mt19937 rng(99);
  EngineOptions options;
  options.kv_block_size = 4;
  options.max_seqs = 8;
  options.kv_cache_memory = 20 * (2 * config.layers * 4 * config.kv_heads * config.head_dim * 4);
  auto engine = make_engine(options);
  std::vector<Request> requests;
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 8; ++i) {
    requests.push_back(greedy_request(random_prompt(rng, 10 + i), 30));
    handles.push_back(engine->submit(requests.back()).value());
  }
  const std::vector<Outcome> outcomes = run_to_completion(*engine, handles);
  EXPECT_GT(engine->stats().preemptions, 0u);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(outcomes[i].ids, generate_alone(requests[i])) << i;
}

}  // namespace
}  // namespace keel::testing
