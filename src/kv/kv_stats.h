// KvStats: counts of the KV block pool, for EngineStats and tests.
#pragma once

#include <cstdint>

namespace keel {

struct KvStats {
  int32_t total = 0;
  int32_t free = 0;
  int32_t used = 0;    // refcount >= 1
  int32_t cached = 0;  // refcount 0, indexed, evictable
  uint64_t evictions = 0;
  uint64_t expired = 0;   // cached blocks returned to the free list by idle-cache expiry
};

}  // namespace keel
