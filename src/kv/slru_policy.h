// SlruPolicy: segmented LRU, keel's default. New blocks enter a probation
// segment; only a block that was reused (hit by a later request) enters
// the protected segment. Victims come from probation first, so a scan of
// one-off prompts cycles through probation and never displaces a hot,
// reused prefix. The protected segment is capped (a fraction of the pool);
// overflow demotes its least recent block back to probation.
#pragma once

#include "kv/block_list.h"
#include "kv/eviction_policy.h"

namespace keel {

class SlruPolicy final : public EvictionPolicy {
 public:
  // protected_fraction: most of the pool the protected segment may hold.
  explicit SlruPolicy(int32_t blocks, double protected_fraction = 0.75);
  void insert(int32_t block, bool reused) override;
  void remove(int32_t block) override;
  int32_t victim() override;
  int32_t size() const override { return probation_.size() + protected_.size(); }

 private:
  BlockList probation_;   // front = least recent
  BlockList protected_;
  int32_t protected_cap_;
};

}  // namespace keel
