#include "server/key_limiter.h"

#include <algorithm>
#include <cmath>

namespace keel::server {

KeyLimiter::KeyLimiter(const std::vector<KeyPolicy>& policies) {
  auto now = TokenBucket::Clock::now();
  for (const auto& policy : policies) {
    KeyState state;
    state.policy = policy;
    // Bursts up to one second's worth of requests, one minute's worth of tokens.
    if (policy.requests_per_second > 0)
      state.requests.emplace(policy.requests_per_second, std::max(1.0, policy.requests_per_second), now);
    if (policy.tokens_per_minute > 0) state.tokens.emplace(policy.tokens_per_minute / 60.0, policy.tokens_per_minute, now);
    keys_.push_back(std::move(state));
  }
}

std::optional<KeyLimiter::Refusal> KeyLimiter::admit(size_t index, int64_t tokens, TokenBucket::Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (index >= keys_.size()) return std::nullopt;
  KeyState& key = keys_[index];
  if (key.policy.max_concurrent > 0 && key.running >= key.policy.max_concurrent)
    return Refusal{RejectReason::kConcurrencyLimit,
                   "key '" + key.policy.name + "' already has " + std::to_string(key.running) +
                       " requests running (its limit)",
                   1.0};
  if (key.requests) {
    double wait = key.requests->try_take(1.0, now);
    if (wait > 0) return Refusal{RejectReason::kRateLimit, "key '" + key.policy.name + "' is over its requests per second", wait};
  }
  if (key.tokens) {
    double wait = key.tokens->try_take(static_cast<double>(tokens), now);
    if (wait > 0) {
      if (key.requests) key.requests->give_back(1.0);
      if (std::isinf(wait))
        return Refusal{RejectReason::kTokenLimit,
                       "the request needs more tokens than key '" + key.policy.name + "' may use per minute", 60.0};
      return Refusal{RejectReason::kTokenLimit, "key '" + key.policy.name + "' is over its tokens per minute", wait};
    }
  }
  ++key.running;
  return std::nullopt;
}

void KeyLimiter::release(size_t index) {
  std::lock_guard lock(mutex_);
  if (index < keys_.size() && keys_[index].running > 0) --keys_[index].running;
}

}  // namespace keel::server
