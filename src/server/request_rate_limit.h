// RequestRateLimit: the server-wide cap on completion requests per second
// (--max-requests-per-second), beside the per-key limits of KeyLimiter. A
// token bucket refilled at the rate, holding one second's worth (at least
// one request), so short bursts up to the rate pass and a sustained excess
// is refused with the time until the next request would pass.
// Thread-safe: handlers on every I/O thread call admit().
#pragma once

#include <mutex>
#include <optional>

#include "server/token_bucket.h"

namespace keel::server {

class RequestRateLimit {
 public:
  using Clock = TokenBucket::Clock;
  RequestRateLimit(double requests_per_second, Clock::time_point now);

  // One request passes (nullopt), or is refused with the seconds to wait.
  std::optional<double> admit(Clock::time_point now);

  double requests_per_second() const { return rate_; }

 private:
  double rate_;
  std::mutex mutex_;
  TokenBucket bucket_;  // guarded by mutex_
};

}  // namespace keel::server
