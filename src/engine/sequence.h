// Sequence: one running request's place in the engine — a KV slot, its
// block table and how far its KV is computed. The scheduler owns max_seqs
// of them, built at start; admitting a request fills one, finishing or
// preempting one empties it.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/request_state.h"
#include "kv/block_table.h"

namespace keel {

struct Sequence {
  explicit Sequence(int32_t max_blocks) : table(max_blocks) {}

  bool active() const { return request != nullptr; }
  // Tokens whose KV is not yet stored: the prompt's rest during prefill,
  // 1 (the last sampled token) during decode.
  int32_t pending() const { return static_cast<int32_t>(request->tokens.size()) - computed; }

  std::shared_ptr<RequestState> request;  // null when the slot is free
  BlockTable table;
  int32_t computed = 0;  // positions 0 .. computed-1 have K and V stored
};

// One sequence's share of a step: tokens start .. start+count-1 of it.
struct ScheduledChunk {
  int32_t slot = 0;
  int32_t start = 0;
  int32_t count = 0;
  bool samples = false;  // the chunk reaches the sequence's last token: its logits give the next token
};

}  // namespace keel
