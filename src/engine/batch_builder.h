// BatchBuilder: turns a step's chunks into the ForwardBatch the model runs —
// flat token ids, positions, KV slots, block tables and the rows that want
// logits — in one buffer sized once (no padding: rows == scheduled tokens).
// It remembers which logit rows belong to which chunk, so the engine can
// hand each request its rows.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/forward_batch_builder.h"
#include "engine/sequence.h"

namespace keel {

class BatchBuilder {
 public:
  BatchBuilder(const ForwardBatchLimits& limits) : builder_(limits) {
    chunk_logit_rows_.reserve(static_cast<size_t>(limits.max_seqs));
  }

  // Builds the batch for `plan`; `sequence_of(slot)` gives a slot's
  // Sequence. The batch views this builder's buffer until the next build.
  template <class SequenceOf>
  ForwardBatch build(std::span<const ScheduledChunk> plan, SequenceOf sequence_of) {
    builder_.clear();
    chunk_logit_rows_.clear();
    int32_t logit_rows = 0;
    for (const ScheduledChunk& chunk : plan) {
      const Sequence& seq = sequence_of(chunk.slot);
      const RequestState& request = *seq.request;
      // Prompt logits: every row of a chunk that still holds prompt positions.
      const bool all = request.wants_prompt_logits() && chunk.start < request.prompt_length;
      const LogitRows rows = all ? LogitRows::kAll : chunk.samples ? LogitRows::kLast : LogitRows::kNone;
      const int32_t count = rows == LogitRows::kAll ? chunk.count : rows == LogitRows::kLast ? 1 : 0;
      chunk_logit_rows_.push_back({logit_rows, count});
      logit_rows += count;
      builder_.add_sequence(std::span(request.tokens).subspan(static_cast<size_t>(chunk.start),
                                                              static_cast<size_t>(chunk.count)),
                            chunk.start, seq.table.blocks(), rows);
    }
    return builder_.finish();
  }

  // Which of the batch's logit rows belong to plan[i]: `count` rows from
  // `first` (all of the chunk's rows for prompt logits; its last row when it
  // samples; none otherwise). A sampling chunk samples from its last one.
  struct ChunkLogitRows {
    int32_t first = 0;
    int32_t count = 0;
  };
  ChunkLogitRows logit_rows_of(size_t i) const { return chunk_logit_rows_[i]; }

 private:
  ForwardBatchBuilder builder_;
  std::vector<ChunkLogitRows> chunk_logit_rows_;  // [plan size], capacity max_seqs
};

}  // namespace keel
