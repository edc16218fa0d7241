#include "server/request_rate_limit.h"

#include <algorithm>

namespace keel::server {

RequestRateLimit::RequestRateLimit(double requests_per_second, Clock::time_point now)
    : rate_(requests_per_second), bucket_(requests_per_second, std::max(1.0, requests_per_second), now) {}

std::optional<double> RequestRateLimit::admit(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const double wait = bucket_.try_take(1.0, now);
  if (wait == 0.0) return std::nullopt;
  return wait;
}

}  // namespace keel::server
