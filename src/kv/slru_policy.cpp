#include "kv/slru_policy.h"

#include <algorithm>

namespace keel {

SlruPolicy::SlruPolicy(int32_t blocks, double protected_fraction)
    : probation_(blocks),
      protected_(blocks),
      protected_cap_(std::max<int32_t>(1, static_cast<int32_t>(blocks * protected_fraction))) {}

void SlruPolicy::insert(int32_t block, bool reused) {
  if (!reused) {
    probation_.push_back(block);
    return;
  }
  protected_.push_back(block);
  // Keep the protected segment bounded so that probation always has room
  // to take (and evict) new content.
  while (protected_.size() > protected_cap_) probation_.push_back(protected_.pop_front());
}

void SlruPolicy::remove(int32_t block) {
  if (probation_.contains(block)) probation_.unlink(block);
  else protected_.unlink(block);
}

int32_t SlruPolicy::victim() {
  const int32_t block = probation_.pop_front();
  return block >= 0 ? block : protected_.pop_front();
}

}  // namespace keel
