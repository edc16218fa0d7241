#include "backend/forward_batch.h"

namespace keel {

ForwardBatch ForwardBatch::rebased(const int32_t* base) const {
  const int32_t* old_base = packed.data();
  auto move = [&](std::span<const int32_t> array) {
    return std::span<const int32_t>(base + (array.data() - old_base), array.size());
  };
  ForwardBatch copy = *this;
  copy.tokens = move(tokens);
  copy.positions = move(positions);
  copy.slot_mapping = move(slot_mapping);
  copy.query_start = move(query_start);
  copy.seq_lens = move(seq_lens);
  copy.block_tables = move(block_tables);
  copy.logit_rows = move(logit_rows);
  copy.packed = std::span<const int32_t>(base, packed.size());
  return copy;
}

}  // namespace keel
