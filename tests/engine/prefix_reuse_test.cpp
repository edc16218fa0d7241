// Guarantees 2 and 5: prefix reuse changes no output, and the default
// eviction policy keeps a hot prefix through a scan of one-off prompts.
#include <chrono>
#include <thread>

#include "engine_test_support.h"

namespace keel::testing {
namespace {

Outcome run_one(Engine& engine, const Request& request) {
  return run_to_completion(engine, {engine.submit(request).value()})[0];
}

// 2. The same request with a cached prefix of every length (inside a block,
// at a block boundary, the whole prompt) gives the same tokens as without.
TEST(PrefixReuse, CachedPrefixChangesNothingAtEverySplit) {
  std::mt19937 rng(21);
  for (int32_t block_size : {4, 16}) {
    for (int32_t length : {33, 48}) {
      const Request request = greedy_request(random_prompt(rng, length), 12);
      const std::vector<int32_t> expected = generate_alone(request);
      for (int32_t split = 1; split <= length; ++split) {
        EngineOptions options;
        options.kv_block_size = block_size;
        auto engine = make_engine(options);
        // Warm the cache with the first `split` prompt tokens.
        run_one(*engine, greedy_request(std::vector<int32_t>(request.prompt.begin(), request.prompt.begin() + split), 1));
        const Outcome outcome = run_one(*engine, request);
        // Whole blocks of the split are reused, leaving >= 1 token to compute.
        const int32_t reusable = std::min(split, length - 1) / block_size * block_size;
        EXPECT_EQ(outcome.usage.cached_tokens, reusable) << "block " << block_size << " split " << split;
        EXPECT_EQ(outcome.ids, expected) << "block " << block_size << " length " << length << " split " << split;
      }
    }
  }
}

// Generated tokens fill blocks too: a follow-up turn that re-sends prompt +
// reply reuses the reply's full blocks.
TEST(PrefixReuse, MultiTurnPaysOnlyForTheNewTurn) {
  std::mt19937 rng(5);
  EngineOptions options;
  options.kv_block_size = 4;
  auto engine = make_engine(options);
  Request first = greedy_request(random_prompt(rng, 21), 11);
  const Outcome reply = run_one(*engine, first);
  std::vector<int32_t> history = first.prompt;
  history.insert(history.end(), reply.ids.begin(), reply.ids.end());
  // The last generated token was never fed back, so its KV is not cached.
  const int32_t computed_before = static_cast<int32_t>(history.size()) - 1;
  const std::vector<int32_t> turn = random_prompt(rng, 6);
  history.insert(history.end(), turn.begin(), turn.end());
  const Request second = greedy_request(history, 5);
  const Outcome outcome = run_one(*engine, second);
  EXPECT_EQ(outcome.usage.cached_tokens, computed_before / 4 * 4);
  EXPECT_EQ(outcome.ids, generate_alone(second));
}

// 5. One hot system prompt and a stream of one-off long prompts that
// overflows the cache between the hot requests.
double hot_prefix_hit_rate(EvictionPolicyKind policy) {
  std::mt19937 rng(77);
  const auto& config = tiny_model().model->config();
  EngineOptions options;
  options.kv_block_size = 16;
  options.prefix_cache_policy = policy;
  options.kv_cache_memory = 40 * (2 * config.layers * 16 * config.kv_heads * config.head_dim * 4);  // 40 blocks
  auto engine = make_engine(options);
  const std::vector<int32_t> hot = random_prompt(rng, 64);  // 4 blocks
  auto hot_request = [&] {
    std::vector<int32_t> prompt = hot;
    const std::vector<int32_t> question = random_prompt(rng, 8);
    prompt.insert(prompt.end(), question.begin(), question.end());
    return greedy_request(prompt, 1);
  };
  run_one(*engine, hot_request());
  run_one(*engine, hot_request());  // the hot prefix is reused once
  int64_t hits = 0, possible = 0;
  for (int round = 0; round < 10; ++round) {
    for (int scan = 0; scan < 6; ++scan) run_one(*engine, greedy_request(random_prompt(rng, 113), 1));  // 7 blocks each
    const Outcome outcome = run_one(*engine, hot_request());
    hits += outcome.usage.cached_tokens;
    possible += 64;
  }
  EXPECT_TRUE(engine->check_invariants().ok());
  return static_cast<double>(hits) / static_cast<double>(possible);
}

TEST(PrefixReuse, ScanResistanceOfTheDefaultPolicy) {
  const double slru = hot_prefix_hit_rate(EvictionPolicyKind::kSlru);
  const double lru = hot_prefix_hit_rate(EvictionPolicyKind::kLru);
  std::printf("hot-prefix block hit rate: slru %.1f%%, lru %.1f%%\n", 100 * slru, 100 * lru);
  EXPECT_GE(slru, 0.90);
  EXPECT_LT(lru, 0.90);
}

TEST(PrefixReuse, NoPrefixCacheReusesNothing) {
  std::mt19937 rng(8);
  EngineOptions options;
  options.prefix_cache = false;
  auto engine = make_engine(options);
  const Request request = greedy_request(random_prompt(rng, 40), 3);
  run_one(*engine, request);
  const Outcome again = run_one(*engine, request);
  EXPECT_EQ(again.usage.cached_tokens, 0);
  EXPECT_EQ(engine->stats().blocks_cached, 0);
  EXPECT_EQ(engine->stats().blocks_free, engine->stats().blocks_total);
}

// Idle-cache expiry (--prefix-cache-ttl): a prefix nobody has used for the
// TTL goes back to the free list, while a hot prefix that keeps being used
// stays cached; the accounting stays exact and outputs do not change.
TEST(PrefixReuse, IdleBlocksExpireWhileAHotPrefixStays) {
  std::mt19937 rng(31);
  EngineOptions options;
  options.kv_block_size = 4;
  options.prefix_cache_ttl_s = 0.3;
  auto engine = make_engine(options);
  const std::vector<int32_t> cold = random_prompt(rng, 24), hot = random_prompt(rng, 24);
  const auto with_tail = [&](const std::vector<int32_t>& prefix) {
    std::vector<int32_t> prompt = prefix;
    const std::vector<int32_t> tail = random_prompt(rng, 3);
    prompt.insert(prompt.end(), tail.begin(), tail.end());
    return greedy_request(prompt, 2);
  };
  run_one(*engine, with_tail(cold));
  const auto start = std::chrono::steady_clock::now();
  // The hot prefix is used every ~20 ms for 1.2 s (four TTLs); each step
  // also sweeps a slice of the pool for idle blocks.
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1200)) {
    const Outcome outcome = run_one(*engine, with_tail(hot));
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(100)) {
      EXPECT_EQ(outcome.usage.cached_tokens, 24) << "the hot prefix must stay cached";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GT(engine->stats().expired_blocks, 0u);
  EXPECT_TRUE(engine->check_invariants().ok());
  // The cold prefix expired: no hit on it any more; the output is unchanged.
  const Request again = with_tail(cold);
  const Outcome outcome = run_one(*engine, again);
  EXPECT_EQ(outcome.usage.cached_tokens, 0);
  EXPECT_EQ(outcome.ids, generate_alone(again));
}

}  // namespace
}  // namespace keel::testing
