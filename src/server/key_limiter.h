// KeyLimiter: per-key admission — a requests-per-second bucket, a
// tokens-per-minute bucket and a cap on concurrent requests. A refusal says
// which limit and when to retry (the Retry-After header).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/api_keys.h"
#include "server/server_metrics.h"
#include "server/token_bucket.h"

namespace keel::server {

class KeyLimiter {
 public:
  explicit KeyLimiter(const std::vector<KeyPolicy>& policies);

  struct Refusal {
    RejectReason reason = RejectReason::kRateLimit;  // kRateLimit, kTokenLimit or kConcurrencyLimit
    std::string message;
    double retry_after = 1.0; // seconds
  };

  // Admits one request of `tokens` (prompt + max_tokens) for key `index`,
  // counting it as running until release(index). Keys without limits always pass.
  std::optional<Refusal> admit(size_t index, int64_t tokens,
                               TokenBucket::Clock::time_point now = TokenBucket::Clock::now());
  void release(size_t index);

 private:
  struct KeyState {
    KeyPolicy policy;
    std::optional<TokenBucket> requests;
    std::optional<TokenBucket> tokens;
    int32_t running = 0;
  };
  std::mutex mutex_;  // held for a few arithmetic operations per request
  std::vector<KeyState> keys_;
};

}  // namespace keel::server
