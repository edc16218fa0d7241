// Scheduler: decides, each step, which tokens of which sequences run.
//
// Policy (one step):
//   1. Running sequences, oldest admission first, each get their pending
//      tokens (1 when decoding; a chunk of the prompt when prefilling) while
//      the step's token budget (max_batch_tokens) lasts. When a sequence
//      needs a block and none is available, the most recently admitted
//      running sequence is preempted: its blocks are released (full ones
//      stay cached, so its recompute often hits them) and it goes back to
//      the front of the waiting queue.
//   2. Waiting requests are then admitted in order while a slot
//      (max_seqs), budget and blocks remain: the prefix cache supplies the
//      longest cached chain of the prompt's whole blocks (leaving at least
//      one token to compute, whose logits are needed), and the first chunk
//      of the rest is scheduled.
// A step therefore mixes decodes and prefill chunks, and packs exactly the
// real tokens. All containers are sized at construction.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/result.h"
#include "engine/fixed_deque.h"
#include "engine/request.h"
#include "engine/sequence.h"
#include "kv/block_manager.h"

namespace keel {

struct SchedulerLimits {
  int32_t max_batch_tokens = 512;
  int32_t max_seqs = 16;
  int32_t max_context = 0;  // positions per sequence
  int32_t max_queued = 0;   // requests waiting at most (incl. preempted)
};

struct SchedulerCounters {
  uint64_t preemptions = 0;
  uint64_t prefix_query_tokens = 0;
  uint64_t prefix_hit_tokens = 0;
};

class Scheduler {
 public:
  Scheduler(const SchedulerLimits& limits, BlockManager& blocks);

  // Appends a newly submitted request to the waiting queue.
  void enqueue(std::shared_ptr<RequestState> request);

  // Fills `plan` (cleared first) with this step's chunks. Returns the total tokens.
  int32_t schedule(std::vector<ScheduledChunk>& plan);

  // After the forward: the chunk's tokens now have K and V; commits the
  // blocks they filled.
  void complete_chunk(const ScheduledChunk& chunk);

  // Ends a running sequence: releases its blocks, frees its slot.
  void retire(int32_t slot);
  // Removes from the waiting queue every request for which `drop` is true
  // (drop sees the request and decides, e.g. cancelled or expired).
  template <class Drop>
  void drop_waiting(Drop drop) {
    waiting_.remove_if([&](std::shared_ptr<RequestState>& request) { return drop(*request); });
  }

  // Empties every running slot without releasing its blocks, for a pool
  // that is about to be reset (BlockManager::reset): the quarantine after
  // a failed invariant check, whose accounting cannot be trusted with a
  // release, and an engine restart, which re-reserves the pool.
  //   requeue_all_running: the requests go back to the front of the
  //     waiting queue, oldest first, to be recomputed (their output so far
  //     is kept, as after a preemption).
  //   end_all_running: `end(request)` is called for each instead.
  void requeue_all_running();
  template <class End>
  void end_all_running(End end) {
    while (!running_.empty()) end(*vacate_newest());
  }

  Sequence& sequence(int32_t slot) { return slots_[static_cast<size_t>(slot)]; }
  // Slots of running sequences, oldest admission first.
  std::span<const int32_t> running() const { return running_; }
  int32_t waiting_count() const { return static_cast<int32_t>(waiting_.size()); }
  std::shared_ptr<RequestState>& waiting_at(size_t i) { return waiting_[i]; }
  const SchedulerCounters& counters() const { return counters_; }
  BlockManager& blocks() { return blocks_; }

  // Unfilled token slots over allocated slots of the running sequences.
  double fragmentation() const;
  // BlockManager::check against every running sequence's table.
  Status check_invariants() const;

 private:
  // Preempts the most recently admitted running sequence.
  void preempt_newest();
  // Frees the newest running slot without releasing its blocks; returns its request.
  std::shared_ptr<RequestState> vacate_newest();
  // Tries to admit the front waiting request with at most `budget` tokens;
  // returns the chunk's token count, 0 if it cannot be admitted now.
  int32_t admit_front(int32_t budget, std::vector<ScheduledChunk>& plan);

  SchedulerLimits limits_;
  BlockManager& blocks_;
  std::vector<Sequence> slots_;                           // [max_seqs]
  std::vector<int32_t> free_slots_;                       // stack, capacity max_seqs
  std::vector<int32_t> running_;                          // admission order, capacity max_seqs
  FixedDeque<std::shared_ptr<RequestState>> waiting_;     // capacity max_queued
  SchedulerCounters counters_;
  mutable std::vector<const BlockTable*> tables_;         // check_invariants scratch, capacity max_seqs
};

}  // namespace keel
