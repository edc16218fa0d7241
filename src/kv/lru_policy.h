// LruPolicy: evicts the block released longest ago. Simple, and thrashed
// by scans: a stream of one-off long prompts pushes out a hot prefix.
#pragma once

#include "kv/block_list.h"
#include "kv/eviction_policy.h"

namespace keel {

class LruPolicy final : public EvictionPolicy {
 public:
  explicit LruPolicy(int32_t blocks) : order_(blocks) {}
  void insert(int32_t block, bool /*reused*/) override { order_.push_back(block); }
  void remove(int32_t block) override { order_.unlink(block); }
  int32_t victim() override { return order_.pop_front(); }
  int32_t size() const override { return order_.size(); }

 private:
  BlockList order_;  // front = released longest ago
};

}  // namespace keel
