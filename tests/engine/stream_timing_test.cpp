// Stream times: when a request was first scheduled, and when each token
// was emitted, stamped by the engine thread (the server's queue-time, TTFT
// and inter-token metrics come from these).
#include <gtest/gtest.h>

#include "engine_test_support.h"

namespace keel::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(StreamTiming, FirstScheduledAndPerTokenTimes) {
  EngineOptions options;
  options.max_seqs = 1;
  auto engine = make_engine(options);
  std::mt19937 rng(21);
  const auto submitted = Clock::now();
  auto first = engine->submit(greedy_request(random_prompt(rng, 5), 6)).value();
  auto second = engine->submit(greedy_request(random_prompt(rng, 5), 6)).value();

  StreamUpdate update;
  std::vector<Clock::time_point> first_times;
  std::optional<Clock::time_point> first_scheduled;
  for (int guard = 0; guard < 1000 && !first.finished(); ++guard) {
    engine->step_once();
    if (!first.stream().read(update)) continue;
    ASSERT_EQ(update.token_times.size(), update.tokens.size());
    first_times.insert(first_times.end(), update.token_times.begin(), update.token_times.end());
    first_scheduled = update.first_scheduled;
  }
  ASSERT_TRUE(first_scheduled.has_value());
  ASSERT_EQ(first_times.size(), 6u);
  EXPECT_GE(*first_scheduled, submitted);
  EXPECT_LE(*first_scheduled, first_times.front());
  for (size_t i = 1; i < first_times.size(); ++i) EXPECT_LT(first_times[i - 1], first_times[i]) << "one token per step";

  // The second request waited for the only running slot: its queue time
  // ended after the first request's last token.
  std::optional<Clock::time_point> second_scheduled;
  for (int guard = 0; guard < 1000 && !second.finished(); ++guard) {
    engine->step_once();
    if (second.stream().read(update) && update.first_scheduled) second_scheduled = update.first_scheduled;
  }
  ASSERT_TRUE(second_scheduled.has_value());
  EXPECT_GE(*second_scheduled, first_times.back());
}

}  // namespace
}  // namespace keel::testing
