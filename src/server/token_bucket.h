// TokenBucket: the classic rate limiter. Holds up to `capacity` tokens and
// refills at `rate` per second; a request takes some tokens or is told how
// long to wait. Not thread-safe: KeyLimiter guards it.
#pragma once

#include <chrono>

namespace keel::server {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate_per_second, double capacity, Clock::time_point now);

  // Takes `amount` and returns 0, or takes nothing and returns the seconds
  // until `amount` will be there (infinity if it exceeds the capacity).
  double try_take(double amount, Clock::time_point now);
  // Returns tokens taken earlier (a request refused by a later check).
  void give_back(double amount);

 private:
  void refill(Clock::time_point now);
  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace keel::server
