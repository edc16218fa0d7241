// CircuitBreaker: decides when an engine that keeps failing gets no more
// traffic, when it gets one probe, and when it has failed often enough to
// be rebuilt or to end the process. Pure bookkeeping on times given by the
// caller (EngineSupervisor owns one and feeds it); nothing here locks.
//
//   closed ──(failures within window)──> open ──(cooldown)──> half-open
//     ^                                   ^                      │
//     └──────────(probe succeeds)─────────┼──────────────────────┤
//                                         └─(probe fails: cooldown ×2, capped)
//
// Closed: every failure's time is kept (the last `failures` of them); when
// `failures` of them fall within `window_s`, the breaker opens.
// Open: new requests are refused until the cooldown ends; failures of
// requests still in flight change nothing. Half-open: one probe runs; its
// success closes the breaker (and resets the cooldown), any failure opens
// it again with the cooldown doubled, up to `max_cooldown_s`.
//
// Openings within the last hour set the restart policy. The opening that
// makes `max_engine_restarts` of them asks for an in-process engine
// rebuild; one more within the hour asks for the process to exit (so that
// systemd or Kubernetes restarts it). With max_engine_restarts 0 the first
// opening exits.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace keel::server {

struct BreakerPolicy {
  int32_t failures = 5;             // --breaker-failures
  double window_s = 60;             // --breaker-window
  double cooldown_s = 30;           // --breaker-cooldown
  double max_cooldown_s = 600;      // a doubled cooldown stops growing here
  int32_t max_engine_restarts = 3;  // --max-engine-restarts, per hour
};

enum class BreakerState : int { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
std::string_view breaker_state_name(BreakerState state);

// What /metrics shows of the breaker.
struct BreakerSnapshot {
  BreakerState state = BreakerState::kClosed;
  uint64_t transitions[3] = {0, 0, 0};  // into closed, open, half-open
  uint64_t restarts_requested = 0;      // engine rebuilds asked for
};

// What an opening asks of the caller.
enum class BreakerAction { kNone, kRestartEngine, kExit };

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CircuitBreaker(const BreakerPolicy& policy) : policy_(policy), cooldown_s_(policy.cooldown_s) {}

  // A failed step, a stall or a failed probe, with its cause.
  BreakerAction record_failure(Clock::time_point now, std::string_view cause);
  // Open -> half-open once the cooldown has passed. True when it moved:
  // the caller starts the probe.
  bool poll(Clock::time_point now);
  // The probe finished well: half-open -> closed.
  void record_probe_success();

  BreakerState state() const { return state_; }
  // Open: seconds until the probe; half-open: the probe's time (1 s).
  double retry_after_s(Clock::time_point now) const;
  // Why the breaker is not closed, for /ready and 503 bodies.
  std::string reason(Clock::time_point now) const;
  // Transitions into `state` since start.
  uint64_t transitions_to(BreakerState state) const { return transitions_[static_cast<int>(state)]; }

 private:
  BreakerAction open(Clock::time_point now);
  void move_to(BreakerState state);

  BreakerPolicy policy_;
  BreakerState state_ = BreakerState::kClosed;
  std::deque<Clock::time_point> failures_;  // closed: the latest policy_.failures failure times
  std::deque<Clock::time_point> openings_;  // within the last hour
  Clock::time_point half_open_at_{};
  double cooldown_s_;
  std::string last_cause_;
  uint64_t transitions_[3] = {0, 0, 0};
};

}  // namespace keel::server
