// ForwardBatch: everything one forward step needs to know about its tokens
// and where their keys and values live, as plain int32 arrays.
//
// n_tokens rows of several sequences are packed without padding (ragged
// continuous batching). Sequence s owns the consecutive rows
// query_start[s] .. query_start[s+1]-1, which are its positions
// seq_lens[s] - q_len .. seq_lens[s] - 1 (q_len = its row count): a
// prefill chunk, or the one token of a decode. Its earlier positions are
// already in the KV cache.
//
//   tokens        [n_tokens]   token ids
//   positions     [n_tokens]   position of each row in its sequence
//   slot_mapping  [n_tokens]   KV slot (block * block_size + offset) where the
//                              row's K and V are stored
//   query_start   [n_seqs + 1] first row of each sequence, then n_tokens
//   seq_lens      [n_seqs]     context length of each sequence, new rows included
//   block_tables  [n_seqs, max_blocks_per_seq]  each sequence's KV blocks in
//                              position order (-1 past its last block)
//   logit_rows    [n_logit_rows] rows whose logits are wanted, ascending
//
// Every array lies inside `packed`, back to back, so a device backend
// copies the whole step in one transfer (rebased() gives the same batch
// over a copy). Nothing here knows about requests or caches: the engine's
// BatchBuilder and the tests fill it with ForwardBatchBuilder.
#pragma once

#include <cstdint>
#include <span>

namespace keel {

struct ForwardBatch {
  int32_t n_tokens = 0;
  int32_t n_seqs = 0;
  int32_t max_blocks_per_seq = 0;
  std::span<const int32_t> tokens;
  std::span<const int32_t> positions;
  std::span<const int32_t> slot_mapping;
  std::span<const int32_t> query_start;
  std::span<const int32_t> seq_lens;
  std::span<const int32_t> block_tables;
  std::span<const int32_t> logit_rows;
  std::span<const int32_t> packed;  // holds every array above

  int32_t n_logit_rows() const { return static_cast<int32_t>(logit_rows.size()); }

  // The same batch with every array moved to `base`, a copy of `packed`
  // (in another memory, e.g. a device's).
  ForwardBatch rebased(const int32_t* base) const;
};

}  // namespace keel
