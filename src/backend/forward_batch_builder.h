// ForwardBatchBuilder: lays out a ForwardBatch from one chunk per sequence,
// in one int32 buffer reserved at construction (building allocates nothing).
//
//   ForwardBatchBuilder builder({.max_tokens = 512, .max_seqs = 16, .max_blocks_per_seq = 256, .block_size = 16});
//   builder.add_sequence(ids, /*first_position=*/0, table, LogitRows::kLast);
//   const ForwardBatch batch = builder.finish();  // valid until the next clear()
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/forward_batch.h"

namespace keel {

struct ForwardBatchLimits {
  int32_t max_tokens = 0;
  int32_t max_seqs = 0;
  int32_t max_blocks_per_seq = 0;
  int32_t block_size = 0;
};

enum class LogitRows : uint8_t { kNone, kLast, kAll };

class ForwardBatchBuilder {
 public:
  explicit ForwardBatchBuilder(const ForwardBatchLimits& limits);

  const ForwardBatchLimits& limits() const { return limits_; }
  void clear();

  // Appends the rows `tokens` of one sequence at positions first_position ..
  // first_position + tokens.size() - 1. `blocks` is the sequence's block
  // table; it must cover those positions and stay valid until finish().
  // Checks (programmer errors): the limits, and blocks enough.
  void add_sequence(std::span<const int32_t> tokens, int32_t first_position, std::span<const int32_t> blocks,
                    LogitRows logits);

  // The batch of every sequence added since clear().
  ForwardBatch finish();

 private:
  struct Chunk {
    std::span<const int32_t> blocks;
  };

  ForwardBatchLimits limits_;
  // Rows and sequences are written straight into their sections; block
  // tables are packed last, once the widest table is known.
  std::vector<int32_t> storage_;
  std::vector<Chunk> chunks_;  // capacity max_seqs
  int32_t n_tokens_ = 0;
  int32_t n_logit_rows_ = 0;
  int32_t* tokens_;
  int32_t* positions_;
  int32_t* slot_mapping_;
  int32_t* logit_rows_;
  int32_t* query_start_;
  int32_t* seq_lens_;
  int32_t* block_tables_;
};

}  // namespace keel
