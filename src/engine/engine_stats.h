// EngineStats: a snapshot of the engine, published after every step. Other
// threads (metrics, health) read a copy without waiting on the step loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace keel {

struct EngineStats {
  // Scheduler.
  int32_t running = 0;                 // sequences holding KV blocks
  int32_t waiting = 0;                 // admitted to the engine, not yet running (incl. preempted)
  uint64_t submitted = 0;              // requests accepted by submit()
  uint64_t rejected = 0;               // requests refused by submit()
  uint64_t finished = 0;               // requests ended for any reason
  uint64_t cancelled = 0;              // ... of which by cancel()
  uint64_t deadline_expired = 0;       // ... of which by their deadline
  uint64_t non_finite_logits = 0;      // ... of which alone, for a non-finite logits row
  uint64_t preemptions = 0;            // running sequences sent back to wait (recompute)

  // KV block pool: free + used + cached == total, always.
  int32_t blocks_total = 0;
  int32_t blocks_free = 0;
  int32_t blocks_used = 0;             // refcount >= 1
  int32_t blocks_cached = 0;           // refcount 0, kept for prefix reuse until evicted
  int32_t block_size = 0;              // tokens per block
  uint64_t evictions = 0;              // cached blocks reclaimed for new content
  uint64_t expired_blocks = 0;         // cached blocks freed by idle-cache expiry (--prefix-cache-ttl)
  // Allocated but unfilled token slots over allocated slots, of the
  // running sequences' blocks (at most one partial block per sequence).
  double fragmentation = 0.0;

  // The device's memory (a GPU's; all 0 on a host-memory backend), as
  // reserved when the engine started or was last rebuilt.
  std::string device_name;             // e.g. "NVIDIA H200"
  int64_t device_memory_total = 0;     // the device's memory
  int64_t device_weight_bytes = 0;     // the model's weights made resident
  int64_t device_kv_bytes = 0;         // the KV pool (K and V)
  int64_t device_workspace_bytes = 0;  // the rest this process reserved: activations, logits, kernel scratch

  // Prefix cache, in prompt tokens.
  uint64_t prefix_query_tokens = 0;    // prompt tokens looked up at admission
  uint64_t prefix_hit_tokens = 0;      // ... of which found cached

  // Steps.
  uint64_t steps = 0;
  uint64_t tokens_computed = 0;        // token rows run through the model, all steps
  uint64_t tokens_generated = 0;       // tokens sampled, all steps
  int32_t last_step_tokens = 0;        // token rows of the latest step (== its real scheduled tokens)
  int32_t last_step_sequences = 0;     // sequences in the latest step
  double last_step_seconds = 0.0;
  double total_step_seconds = 0.0;
  // Heap allocations made on the engine thread inside the step loop since
  // start, as counted by an operator new replacement that reports to
  // allocation_probe.h (0 when the binary installs none).
  uint64_t step_loop_allocations = 0;
  // When the loop last completed a step or found nothing to do; readiness
  // checks compare it with now.
  std::chrono::steady_clock::time_point heartbeat{};

  // Faults survived (see Engine, "Failure"). The strings are the latest
  // cause; the counters only grow, so a watcher sees each new fault.
  uint64_t step_failures = 0;          // steps whose forward (or loop check) failed; their requests ended
  std::string last_step_failure;
  uint64_t kv_invariant_violations = 0;  // failed KV checks; the pool was quarantined and rebuilt
  std::string last_kv_violation;       // the evidence
  uint64_t restarts = 0;               // Engine::restart() rebuilds done

  // The engine stopped for good (a restart could not rebuild it): every
  // request ended with FinishCause::kEngineError, submit() refuses.
  bool failed = false;
  std::string failure;                 // the cause
};

}  // namespace keel
