// ForwardBatch: the tokens of one forward step, packed without padding.
//
// Tokens of several sequences may be mixed in any order (ragged continuous
// batching): token t is at `positions[t]` of the sequence whose KV lives in
// `sequence_slot[t]`. A sequence's positions 0 .. positions[t]-1 must
// already be in the cache or appear earlier in the same batch.
#pragma once

#include <cstdint>
#include <span>

namespace keel {

struct ForwardBatch {
  std::span<const int32_t> tokens;
  std::span<const int32_t> positions;
  std::span<const int32_t> sequence_slot;  // per token: which sequence's KV it reads and writes
  std::span<const uint8_t> wants_logits;   // per token: nonzero = produce a logits row
};

}  // namespace keel
