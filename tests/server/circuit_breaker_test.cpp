// CircuitBreaker: the states, the sliding window, the doubling cooldown and
// the restart policy, on a clock the test moves.
#include "server/circuit_breaker.h"

#include <gtest/gtest.h>

namespace keel::server {
namespace {

using Clock = CircuitBreaker::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

BreakerPolicy policy(int32_t failures, double window_s, double cooldown_s, int32_t restarts = 3) {
  BreakerPolicy p;
  p.failures = failures;
  p.window_s = window_s;
  p.cooldown_s = cooldown_s;
  p.max_cooldown_s = 40;
  p.max_engine_restarts = restarts;
  return p;
}

TEST(CircuitBreaker, OpensOnlyWhenTheFailuresFallWithinTheWindow) {
  CircuitBreaker breaker(policy(3, 60, 30));
  const Clock::time_point t0 = Clock::now();
  breaker.record_failure(t0, "a");
  breaker.record_failure(t0 + seconds(40), "b");
  breaker.record_failure(t0 + seconds(70), "c");  // the first is 70 s old: the window holds two
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker.reason(t0), "");
  breaker.record_failure(t0 + seconds(90), "d");  // 40, 70, 90: three within 60 s
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.transitions_to(BreakerState::kOpen), 1u);
  EXPECT_NE(breaker.reason(t0 + seconds(90)).find("Latest failure: d"), std::string::npos)
      << breaker.reason(t0 + seconds(90));
}

TEST(CircuitBreaker, CoolsDownThenAProbeClosesIt) {
  CircuitBreaker breaker(policy(1, 60, 30));
  const Clock::time_point t0 = Clock::now();
  breaker.record_failure(t0, "step failed");
  ASSERT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_DOUBLE_EQ(breaker.retry_after_s(t0 + seconds(10)), 20.0);
  EXPECT_FALSE(breaker.poll(t0 + seconds(29)));
  // Failures of requests still in flight change nothing while open.
  EXPECT_EQ(breaker.record_failure(t0 + seconds(29), "late"), BreakerAction::kNone);
  EXPECT_TRUE(breaker.poll(t0 + seconds(30)));
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_NE(breaker.reason(t0 + seconds(30)).find("half-open"), std::string::npos);
  EXPECT_FALSE(breaker.poll(t0 + seconds(31))) << "one probe per half-open";
  breaker.record_probe_success();
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_EQ(breaker.transitions_to(BreakerState::kHalfOpen), 1u);
  EXPECT_EQ(breaker.transitions_to(BreakerState::kClosed), 1u);
}

TEST(CircuitBreaker, AFailedProbeDoublesTheCooldownUpToItsCapAndSuccessResetsIt) {
  CircuitBreaker breaker(policy(1, 60, 15, /*restarts=*/100));
  Clock::time_point t = Clock::now();
  breaker.record_failure(t, "x");
  const double expected[] = {30, 40, 40};  // doubled, then capped at max_cooldown_s
  for (const double cooldown : expected) {
    t += seconds(100);
    ASSERT_TRUE(breaker.poll(t));
    breaker.record_failure(t, "probe");
    ASSERT_EQ(breaker.state(), BreakerState::kOpen);
    EXPECT_DOUBLE_EQ(breaker.retry_after_s(t), cooldown);
    EXPECT_NE(breaker.reason(t).find("the probe failed: probe"), std::string::npos) << breaker.reason(t);
  }
  t += seconds(100);
  ASSERT_TRUE(breaker.poll(t));
  breaker.record_probe_success();
  breaker.record_failure(t, "again");
  EXPECT_DOUBLE_EQ(breaker.retry_after_s(t), 15.0) << "a closed breaker starts from the configured cooldown";
}

TEST(CircuitBreaker, TheNthOpeningInAnHourRebuildsAndTheNextExits) {
  CircuitBreaker breaker(policy(1, 60, 1, /*restarts=*/2));
  Clock::time_point t = Clock::now();
  auto open_and_recover = [&](BreakerAction expected) {
    EXPECT_EQ(breaker.record_failure(t, "f"), expected);
    t += seconds(2);
    ASSERT_TRUE(breaker.poll(t));
    breaker.record_probe_success();
  };
  open_and_recover(BreakerAction::kNone);
  open_and_recover(BreakerAction::kRestartEngine);
  // An hour later the old openings no longer count.
  t += seconds(3600);
  open_and_recover(BreakerAction::kNone);
  open_and_recover(BreakerAction::kRestartEngine);
  EXPECT_EQ(breaker.record_failure(t, "f"), BreakerAction::kExit);
}

TEST(CircuitBreaker, ZeroRestartsExitsOnTheFirstOpening) {
  CircuitBreaker breaker(policy(2, 60, 1, /*restarts=*/0));
  const Clock::time_point t = Clock::now();
  EXPECT_EQ(breaker.record_failure(t, "f"), BreakerAction::kNone);
  EXPECT_EQ(breaker.record_failure(t + milliseconds(1), "f"), BreakerAction::kExit);
}

}  // namespace
}  // namespace keel::server
