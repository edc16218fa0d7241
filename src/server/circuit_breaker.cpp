#include "server/circuit_breaker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace keel::server {
namespace {

using Clock = CircuitBreaker::Clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

Clock::time_point after(Clock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

std::string_view breaker_state_name(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "closed";
}

void CircuitBreaker::move_to(BreakerState state) {
  state_ = state;
  ++transitions_[static_cast<int>(state)];
}

BreakerAction CircuitBreaker::record_failure(Clock::time_point now, std::string_view cause) {
  switch (state_) {
    case BreakerState::kOpen: return BreakerAction::kNone;  // already refusing; in-flight requests end as they can
    case BreakerState::kHalfOpen:
      last_cause_ = "the probe failed: " + std::string(cause);
      cooldown_s_ = std::min(cooldown_s_ * 2, std::max(policy_.max_cooldown_s, policy_.cooldown_s));
      return open(now);
    case BreakerState::kClosed: break;
  }
  last_cause_ = std::string(cause);
  failures_.push_back(now);
  while (static_cast<int32_t>(failures_.size()) > policy_.failures) failures_.pop_front();
  if (static_cast<int32_t>(failures_.size()) < policy_.failures) return BreakerAction::kNone;
  if (seconds_between(failures_.front(), now) > policy_.window_s) return BreakerAction::kNone;
  return open(now);
}

BreakerAction CircuitBreaker::open(Clock::time_point now) {
  move_to(BreakerState::kOpen);
  failures_.clear();
  half_open_at_ = after(now, cooldown_s_);
  const Clock::time_point hour_ago = after(now, -3600.0);
  while (!openings_.empty() && openings_.front() < hour_ago) openings_.pop_front();
  openings_.push_back(now);
  const auto openings = static_cast<int32_t>(openings_.size());
  if (openings > policy_.max_engine_restarts) return BreakerAction::kExit;
  if (openings == policy_.max_engine_restarts) return BreakerAction::kRestartEngine;
  return BreakerAction::kNone;
}

bool CircuitBreaker::poll(Clock::time_point now) {
  if (state_ != BreakerState::kOpen || now < half_open_at_) return false;
  move_to(BreakerState::kHalfOpen);
  return true;
}

void CircuitBreaker::record_probe_success() {
  if (state_ != BreakerState::kHalfOpen) return;
  move_to(BreakerState::kClosed);
  cooldown_s_ = policy_.cooldown_s;
  failures_.clear();
}

double CircuitBreaker::retry_after_s(Clock::time_point now) const {
  if (state_ == BreakerState::kOpen) return std::max(1.0, std::ceil(seconds_between(now, half_open_at_)));
  return 1.0;
}

std::string CircuitBreaker::reason(Clock::time_point now) const {
  char text[160];
  switch (state_) {
    case BreakerState::kClosed: return {};
    case BreakerState::kOpen:
      std::snprintf(text, sizeof text, "the circuit breaker is open; a probe in %.0f s. Latest failure: ",
                    std::max(0.0, std::ceil(seconds_between(now, half_open_at_))));
      return text + last_cause_;
    case BreakerState::kHalfOpen:
      return "the circuit breaker is half-open: a probe request is under way. Latest failure: " + last_cause_;
  }
  return {};
}

}  // namespace keel::server
