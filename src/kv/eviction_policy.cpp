#include "kv/eviction_policy.h"

#include "kv/lru_policy.h"
#include "kv/slru_policy.h"

namespace keel {

std::string_view eviction_policy_name(EvictionPolicyKind kind) {
  switch (kind) {
    case EvictionPolicyKind::kLru: return "lru";
    case EvictionPolicyKind::kSlru: return "slru";
  }
  return "unknown";
}

std::optional<EvictionPolicyKind> parse_eviction_policy(std::string_view name) {
  if (name == "lru") return EvictionPolicyKind::kLru;
  if (name == "slru") return EvictionPolicyKind::kSlru;
  return std::nullopt;
}

std::unique_ptr<EvictionPolicy> make_eviction_policy(EvictionPolicyKind kind, int32_t blocks) {
  switch (kind) {
    case EvictionPolicyKind::kLru: return std::make_unique<LruPolicy>(blocks);
    case EvictionPolicyKind::kSlru: return std::make_unique<SlruPolicy>(blocks);
  }
  return nullptr;
}

}  // namespace keel
