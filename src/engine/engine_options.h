// EngineOptions: the sizes the engine reserves once at start. The CLI flags
// (--kv-cache-memory, --kv-block-size, --max-batch-tokens, --max-seqs,
// --max-context, --prefix-cache-policy, --no-prefix-cache) map onto these
// fields one to one (apps/engine_flags.h).
#pragma once

#include <cstdint>

#include "kv/eviction_policy.h"

namespace keel {

struct EngineOptions {
  // Bytes of K and V for the block pool; 0 derives it from
  // max_context × max_seqs (room for every sequence at full length).
  int64_t kv_cache_memory = 0;
  int32_t kv_block_size = 16;       // tokens per KV block
  int32_t max_batch_tokens = 512;   // token rows per step; must not exceed the model's LoadOptions
  int32_t max_seqs = 16;            // running sequences at most
  int32_t max_context = 0;          // positions per sequence; 0 = the model's context length
  int32_t max_waiting = 1024;       // submitted but not yet running; submit() refuses beyond
  EvictionPolicyKind prefix_cache_policy = EvictionPolicyKind::kSlru;
  bool prefix_cache = true;         // false: no reuse (blocks are freed, never cached)
};

}  // namespace keel
