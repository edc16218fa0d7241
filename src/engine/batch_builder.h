// BatchBuilder: turns a step's chunks into the ForwardBatch the model runs —
// flat token ids, positions, slots and which rows want logits — in buffers
// sized once for max_batch_tokens. No padding: row count == scheduled tokens.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/sequence.h"
#include "model/forward_batch.h"

namespace keel {

class BatchBuilder {
 public:
  explicit BatchBuilder(int32_t max_batch_tokens);

  // Builds the batch for `plan`; `sequence_tokens(slot)` gives a slot's
  // token ids. Returns the batch (views into this builder's buffers) and
  // sets *logit_rows to the number of rows that want logits.
  template <class TokensOf>
  ForwardBatch build(std::span<const ScheduledChunk> plan, TokensOf sequence_tokens, int32_t* logit_rows) {
    size_t n = 0;
    *logit_rows = 0;
    for (const ScheduledChunk& chunk : plan) {
      const std::span<const int32_t> ids = sequence_tokens(chunk.slot);
      for (int32_t i = 0; i < chunk.count; ++i, ++n) {
        tokens_[n] = ids[static_cast<size_t>(chunk.start + i)];
        positions_[n] = chunk.start + i;
        slots_[n] = chunk.slot;
        wants_logits_[n] = 0;
      }
      if (chunk.samples) {
        wants_logits_[n - 1] = 1;
        ++*logit_rows;
      }
    }
    return ForwardBatch{std::span(tokens_).first(n), std::span(positions_).first(n), std::span(slots_).first(n),
                        std::span(wants_logits_).first(n)};
  }

 private:
  std::vector<int32_t> tokens_;        // [max_batch_tokens]
  std::vector<int32_t> positions_;     // [max_batch_tokens]
  std::vector<int32_t> slots_;         // [max_batch_tokens]
  std::vector<uint8_t> wants_logits_;  // [max_batch_tokens]
};

}  // namespace keel
