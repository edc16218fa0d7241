// EvictionPolicy: which cached block (refcount 0, still indexed by its
// content) to reclaim when the pool needs a block and none is free.
//
// The prefix cache tells the policy when a block becomes evictable
// (insert) and when a hit takes it back into use (remove); victim() picks
// and removes one. Policies keep intrusive lists over block ids, sized once
// for the pool: no operation allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace keel {

enum class EvictionPolicyKind : uint8_t {
  kLru,   // least recently released first
  kSlru,  // segmented LRU: a block must be reused before it is protected (scan resistant)
};

std::string_view eviction_policy_name(EvictionPolicyKind kind);
std::optional<EvictionPolicyKind> parse_eviction_policy(std::string_view name);

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;
  // `block` became evictable. `reused`: it served at least one prefix hit
  // since it was filled.
  virtual void insert(int32_t block, bool reused) = 0;
  // `block` (currently evictable) was taken back into use.
  virtual void remove(int32_t block) = 0;
  // Removes and returns the block to evict next, or -1 when none is evictable.
  virtual int32_t victim() = 0;
  virtual int32_t size() const = 0;
};

// A policy for a pool of `blocks` blocks.
std::unique_ptr<EvictionPolicy> make_eviction_policy(EvictionPolicyKind kind, int32_t blocks);

}  // namespace keel
