// RowArgmax: what a greedy sampler needs of one logits row. A step whose
// rows all sample greedily copies these 8 bytes a row back from the device
// instead of the whole vocabulary, and the host scans nothing.
#pragma once

#include <cstdint>

namespace keel {

struct RowArgmax {
  int32_t index = 0;   // the first index of the row's largest value
  int32_t index_among_allowed = 0;  // the same among the ids not excluded (ignore_eos's answer)
  int32_t finite = 0;  // 1 when every value of the row is finite (no NaN, no infinity)
};

// Token ids a greedy pick may be told to pass over (a model's
// end-of-generation ids, for ignore_eos): a few, passed by value.
struct ExcludedIds {
  static constexpr int kMax = 8;
  int32_t ids[kMax] = {};
  int32_t count = 0;
  bool contains(int64_t id) const {
    for (int i = 0; i < count; ++i)
      if (ids[i] == id) return true;
    return false;
  }
};

// The scans of one row in host memory, in vector code; the engine's
// sampler takes its argmax from here too.
// The first index of the largest value of row[0, n) (n > 0): NaN never
// wins over a number, and a NaN row[0] gives 0.
int64_t first_largest_index(const float* row, int64_t n);
// Whether every value of row[0, n) is finite.
bool all_finite(const float* row, int64_t n);

// out[r] for each row r of logits [rows, vocab] in host memory: the
// Backend::argmax_rows of a backend whose memory the host reads.
void argmax_rows_on_host(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                         RowArgmax* out);

}  // namespace keel
