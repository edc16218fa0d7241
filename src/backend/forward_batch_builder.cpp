#include "backend/forward_batch_builder.h"

#include <algorithm>
#include <bit>

#include "core/check.h"

namespace keel {

ForwardBatchBuilder::ForwardBatchBuilder(const ForwardBatchLimits& limits) : limits_(limits) {
  KEEL_CHECK(limits.max_tokens > 0 && limits.max_seqs > 0 && limits.max_blocks_per_seq > 0 && limits.block_size > 0,
             "ForwardBatchLimits must be positive");
  const size_t rows = static_cast<size_t>(limits.max_tokens);
  const size_t seqs = static_cast<size_t>(limits.max_seqs);
  // Sections: tokens, positions, slot_mapping, logit_rows [rows each];
  // query_start [seqs + 1]; seq_lens [seqs]; block_tables [seqs * max_blocks].
  storage_.assign(4 * rows + 2 * seqs + 1 + seqs * static_cast<size_t>(limits.max_blocks_per_seq), -1);
  int32_t* next = storage_.data();
  for (int32_t** section : {&tokens_, &positions_, &slot_mapping_, &logit_rows_}) {
    *section = next;
    next += rows;
  }
  query_start_ = next;
  seq_lens_ = query_start_ + seqs + 1;
  block_tables_ = seq_lens_ + seqs;
  chunks_.reserve(seqs);
}

void ForwardBatchBuilder::clear() {
  chunks_.clear();
  n_tokens_ = 0;
  n_logit_rows_ = 0;
}

void ForwardBatchBuilder::add_sequence(std::span<const int32_t> tokens, int32_t first_position,
                                       std::span<const int32_t> blocks, LogitRows logits) {
  const auto count = static_cast<int32_t>(tokens.size());
  const int32_t bs = limits_.block_size;
  KEEL_CHECK(count > 0, "a sequence chunk needs at least one token");
  KEEL_CHECK(static_cast<int32_t>(chunks_.size()) < limits_.max_seqs, "more sequences than ForwardBatchLimits::max_seqs");
  KEEL_CHECK(n_tokens_ + count <= limits_.max_tokens, "more tokens than ForwardBatchLimits::max_tokens");
  const int32_t seq_len = first_position + count;
  const int32_t needed_blocks = (seq_len + bs - 1) / bs;
  KEEL_CHECK(first_position >= 0 && needed_blocks <= static_cast<int32_t>(blocks.size()) &&
                 needed_blocks <= limits_.max_blocks_per_seq,
             "the block table does not cover the chunk's positions");
  const auto s = chunks_.size();
  query_start_[s] = n_tokens_;
  seq_lens_[s] = seq_len;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t row = n_tokens_ + i;
    const int32_t position = first_position + i;
    tokens_[row] = tokens[static_cast<size_t>(i)];
    positions_[row] = position;
    slot_mapping_[row] = blocks[static_cast<size_t>(position / bs)] * bs + position % bs;
    if (logits == LogitRows::kAll || (logits == LogitRows::kLast && i == count - 1))
      logit_rows_[n_logit_rows_++] = row;
  }
  n_tokens_ += count;
  chunks_.push_back(Chunk{blocks.first(static_cast<size_t>(needed_blocks))});
}

ForwardBatch ForwardBatchBuilder::finish() {
  const auto n_seqs = static_cast<int32_t>(chunks_.size());
  query_start_[n_seqs] = n_tokens_;
  int32_t width = 1;
  for (const Chunk& chunk : chunks_) width = std::max(width, static_cast<int32_t>(chunk.blocks.size()));
  // Widths come in powers of two (the rest of a row is -1), so a decode
  // step's shape — which a GPU backend records once and replays — changes
  // only when a sequence's context doubles, not at every new block.
  width = std::min(limits_.max_blocks_per_seq, static_cast<int32_t>(std::bit_ceil(static_cast<uint32_t>(width))));
  for (int32_t s = 0; s < n_seqs; ++s) {
    int32_t* row = block_tables_ + int64_t{s} * width;
    const std::span<const int32_t> blocks = chunks_[static_cast<size_t>(s)].blocks;
    std::copy(blocks.begin(), blocks.end(), row);
    std::fill(row + blocks.size(), row + width, -1);
  }
  auto view = [](const int32_t* p, int64_t n) { return std::span<const int32_t>(p, static_cast<size_t>(n)); };
  ForwardBatch batch;
  batch.n_tokens = n_tokens_;
  batch.n_seqs = n_seqs;
  batch.max_blocks_per_seq = width;
  batch.tokens = view(tokens_, n_tokens_);
  batch.positions = view(positions_, n_tokens_);
  batch.slot_mapping = view(slot_mapping_, n_tokens_);
  batch.logit_rows = view(logit_rows_, n_logit_rows_);
  batch.query_start = view(query_start_, n_seqs + 1);
  batch.seq_lens = view(seq_lens_, n_seqs);
  batch.block_tables = view(block_tables_, int64_t{n_seqs} * width);
  batch.packed = view(storage_.data(), block_tables_ + int64_t{n_seqs} * width - storage_.data());
  return batch;
}

}  // namespace keel
