// Engine::submit refusals carry a reason code (what the server maps to an
// HTTP status) and a message that names the problem.
#include <gtest/gtest.h>

#include "engine_test_support.h"

namespace keel::testing {
namespace {

void expect_refused(const SubmitResult& result, RefusalReason reason, std::string_view mentions) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, reason) << refusal_reason_name(result.error().reason);
  EXPECT_NE(result.error().message.find(mentions), std::string::npos) << result.error().message;
}

TEST(EngineRefusal, InvalidRequestsAreNamed) {
  auto engine = make_engine(EngineOptions{});
  expect_refused(engine->submit(greedy_request({}, 4)), RefusalReason::kInvalidRequest, "empty");
  expect_refused(engine->submit(greedy_request({1, 99999}, 4)), RefusalReason::kInvalidRequest, "vocabulary");
  expect_refused(engine->submit(greedy_request({1, 2}, 0)), RefusalReason::kInvalidRequest, "max_tokens");
  Request bad = greedy_request({1, 2}, 4);
  bad.sampling.top_p = 0.0f;
  expect_refused(engine->submit(bad), RefusalReason::kInvalidRequest, "top_p");
}

TEST(EngineRefusal, TooLongForTheContextOrThePool) {
  auto engine = make_engine(EngineOptions{});  // context 256
  expect_refused(engine->submit(greedy_request(std::vector<int32_t>(250, 5), 10)), RefusalReason::kTooLong,
                 "context");
  EngineOptions small;  // a pool of 8 blocks of 4 tokens: 32 token slots
  small.kv_block_size = 4;
  const auto& config = tiny_model().model->config();
  small.kv_cache_memory = 8 * 2 * config.layers * 4 * config.kv_heads * config.head_dim * 4;
  auto tiny_pool = make_engine(small);
  expect_refused(tiny_pool->submit(greedy_request(std::vector<int32_t>(30, 5), 3)), RefusalReason::kTooLong,
                 "KV memory");
}

TEST(EngineRefusal, QueueFullThenShuttingDown) {
  EngineOptions options;
  options.max_seqs = 1;
  options.max_waiting = 1;
  auto engine = make_engine(options);
  ASSERT_TRUE(engine->submit(greedy_request({1, 2}, 4)).ok());
  ASSERT_TRUE(engine->submit(greedy_request({1, 2}, 4)).ok());
  expect_refused(engine->submit(greedy_request({1, 2}, 4)), RefusalReason::kQueueFull, "retry later");
  engine->shutdown(std::chrono::steady_clock::now());
  expect_refused(engine->submit(greedy_request({1, 2}, 4)), RefusalReason::kShuttingDown, "shutting down");
  EXPECT_EQ(engine->stats().rejected, 2u);
}

}  // namespace
}  // namespace keel::testing
