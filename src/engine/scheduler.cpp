#include "engine/scheduler.h"

#include <algorithm>

namespace keel {

Scheduler::Scheduler(const SchedulerLimits& limits, BlockManager& blocks)
    : limits_(limits), blocks_(blocks), waiting_(static_cast<size_t>(limits.max_queued)) {
  const int32_t max_blocks = blocks.blocks_for(limits.max_context);
  slots_.reserve(static_cast<size_t>(limits.max_seqs));
  for (int32_t i = 0; i < limits.max_seqs; ++i) slots_.emplace_back(max_blocks);
  free_slots_.reserve(static_cast<size_t>(limits.max_seqs));
  for (int32_t i = limits.max_seqs - 1; i >= 0; --i) free_slots_.push_back(i);
  running_.reserve(static_cast<size_t>(limits.max_seqs));
  tables_.reserve(static_cast<size_t>(limits.max_seqs));
}

void Scheduler::enqueue(std::shared_ptr<RequestState> request) { waiting_.push_back(std::move(request)); }

int32_t Scheduler::schedule(std::vector<ScheduledChunk>& plan) {
  plan.clear();
  int32_t budget = limits_.max_batch_tokens;
  bool preempted = false;

  // 1. Running sequences, oldest first. Preemption takes from the back,
  //    which is never a sequence already scheduled in this loop.
  for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
    const int32_t slot = running_[i];
    Sequence& seq = sequence(slot);
    const int32_t count = std::min(seq.pending(), budget);
    bool evicted_self = false;
    while (!blocks_.grow(seq.table, seq.computed + count)) {
      evicted_self = running_.back() == slot;
      preempt_newest();
      preempted = true;
      if (evicted_self) break;
    }
    if (evicted_self) break;
    const bool samples = seq.computed + count == static_cast<int32_t>(seq.request->tokens.size());
    plan.push_back(ScheduledChunk{slot, seq.computed, count, samples});
    budget -= count;
  }

  // 2. Admit waiting requests. Not after a preemption: memory is short, and
  //    the preempted request (now at the front) would only thrash.
  while (!preempted && budget > 0 && !waiting_.empty() && !free_slots_.empty()) {
    const int32_t count = admit_front(budget, plan);
    if (count == 0) break;
    budget -= count;
  }
  return limits_.max_batch_tokens - budget;
}

int32_t Scheduler::admit_front(int32_t budget, std::vector<ScheduledChunk>& plan) {
  RequestState& request = *waiting_.front();
  const int32_t slot = free_slots_.back();
  Sequence& seq = sequence(slot);
  const std::span<const int32_t> tokens = request.tokens;
  const int32_t length = static_cast<int32_t>(tokens.size());

  // Reuse whole cached blocks, but leave at least one token to compute. A
  // request that wants every prompt position's logits computes them all.
  const int32_t reusable = request.wants_prompt_logits() ? 0 : (length - 1) / blocks_.block_size();
  const int32_t hit_blocks = blocks_.match_prefix(tokens, reusable, seq.table);
  const int32_t cached = hit_blocks * blocks_.block_size();
  const int32_t count = std::min(length - cached, budget);
  if (!blocks_.grow(seq.table, cached + count)) {
    blocks_.release(seq.table);  // not enough memory yet; wait for running sequences to finish
    return 0;
  }

  if (request.cached_tokens < 0) {  // first admission (a preempted request was counted before)
    request.cached_tokens = cached;
    counters_.prefix_query_tokens += static_cast<uint64_t>(request.prompt_length);
    counters_.prefix_hit_tokens += static_cast<uint64_t>(std::min(cached, request.prompt_length));
  }
  seq.request = waiting_.pop_front();
  seq.computed = cached;
  free_slots_.pop_back();
  running_.push_back(slot);
  plan.push_back(ScheduledChunk{slot, cached, count, cached + count == length});
  return count;
}

void Scheduler::preempt_newest() {
  const int32_t slot = running_.back();
  Sequence& seq = sequence(slot);
  blocks_.release(seq.table);
  waiting_.push_front(std::move(seq.request));
  seq.computed = 0;
  running_.pop_back();
  free_slots_.push_back(slot);
  ++counters_.preemptions;
}

std::shared_ptr<RequestState> Scheduler::vacate_newest() {
  const int32_t slot = running_.back();
  Sequence& seq = sequence(slot);
  seq.table.clear();
  seq.computed = 0;
  running_.pop_back();
  free_slots_.push_back(slot);
  return std::move(seq.request);
}

void Scheduler::requeue_all_running() {
  // Newest first, each to the front: the oldest ends up first in line.
  while (!running_.empty()) waiting_.push_front(vacate_newest());
}

void Scheduler::complete_chunk(const ScheduledChunk& chunk) {
  Sequence& seq = sequence(chunk.slot);
  seq.computed = chunk.start + chunk.count;
  blocks_.commit_full_blocks(seq.table, seq.request->tokens, seq.computed);
}

void Scheduler::retire(int32_t slot) {
  Sequence& seq = sequence(slot);
  blocks_.release(seq.table);
  seq.request.reset();
  seq.computed = 0;
  running_.erase(std::find(running_.begin(), running_.end(), slot));
  free_slots_.push_back(slot);
}

double Scheduler::fragmentation() const {
  int64_t allocated = 0, filled = 0;
  for (int32_t slot : running_) {
    const Sequence& seq = slots_[static_cast<size_t>(slot)];
    allocated += int64_t{seq.table.size()} * blocks_.block_size();
    filled += seq.computed;
  }
  return allocated == 0 ? 0.0 : static_cast<double>(allocated - filled) / static_cast<double>(allocated);
}

Status Scheduler::check_invariants() const {
  tables_.clear();  // keeps its capacity: the step loop may call this
  for (int32_t slot : running_) tables_.push_back(&slots_[static_cast<size_t>(slot)].table);
  return blocks_.check(tables_);
}

}  // namespace keel
