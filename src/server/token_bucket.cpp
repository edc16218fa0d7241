#include "server/token_bucket.h"

#include <algorithm>
#include <limits>

namespace keel::server {

TokenBucket::TokenBucket(double rate_per_second, double capacity, Clock::time_point now)
    : rate_(rate_per_second), capacity_(capacity), tokens_(capacity), last_(now) {}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + elapsed * rate_);
  last_ = now;
}

double TokenBucket::try_take(double amount, Clock::time_point now) {
  refill(now);
  if (amount <= tokens_) {
    tokens_ -= amount;
    return 0.0;
  }
  if (amount > capacity_ || rate_ <= 0.0) return std::numeric_limits<double>::infinity();
  return (amount - tokens_) / rate_;
}

void TokenBucket::give_back(double amount) { tokens_ = std::min(capacity_, tokens_ + amount); }

}  // namespace keel::server
