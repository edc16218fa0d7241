// EngineOptions: the sizes the engine reserves once at start. The CLI flags
// (--kv-cache-memory, --kv-cache-dtype, --kv-block-size, --max-batch-tokens,
// --max-seqs, --max-context, --prefix-cache-policy, --no-prefix-cache) map onto these
// fields one to one (apps/engine_flags.h).
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "kv/eviction_policy.h"

namespace keel {

struct EngineOptions {
  // Bytes of K and V for the block pool; 0 derives it from
  // max_context × max_seqs (room for every sequence at full length).
  int64_t kv_cache_memory = 0;
  // On a GPU, with kv_cache_memory 0: the KV pool is what is left of this
  // fraction of the device's memory once the weights, activations and
  // scratch are reserved (--gpu-memory-utilization; `keel serve` passes
  // 0.9). 0: off (the max_context × max_seqs rule above). Ignored on a
  // host-memory backend.
  double gpu_memory_utilization = 0;
  // Device memory held by a model this engine's will replace (a reload):
  // not counted against the utilization, so the new model gets the same
  // share as the old one (two shares must fit the device during the switch).
  int64_t gpu_memory_replaced_bytes = 0;
  int32_t kv_block_size = 16;       // tokens per KV block
  int32_t max_batch_tokens = 512;   // token rows per step; must not exceed the model's LoadOptions
  int32_t max_seqs = 16;            // running sequences at most
  int32_t max_context = 0;          // positions per sequence; 0 = the model's context length
  int32_t max_waiting = 1024;       // submitted but not yet running; submit() refuses beyond
  EvictionPolicyKind prefix_cache_policy = EvictionPolicyKind::kSlru;
  bool prefix_cache = true;         // false: no reuse (blocks are freed, never cached)
  // Idle-cache expiry (--prefix-cache-ttl): cached blocks released longer
  // ago than this go back to the free list. 0: off (they stay until the
  // pool needs them).
  double prefix_cache_ttl_s = 0;
  // --kv-cache-dtype: f32, f16 or bf16. The library default is f32 (exact
  // against transformers); the serving commands default to f16.
  DType kv_cache_dtype = DType::F32;
  // Requests may ask for every prompt position's logits
  // (Request::on_prompt_logits); the logits buffer then holds a row per
  // batch token instead of one per sequence.
  bool prompt_logits = false;
  // The KV accounting is checked (Engine, "KV invariants") after every
  // this many steps; 0: never. Debug builds check every step.
#ifdef NDEBUG
  int32_t kv_check_interval = 64;
#else
  int32_t kv_check_interval = 1;
#endif
};

}  // namespace keel
