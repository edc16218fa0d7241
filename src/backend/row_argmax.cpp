#include "backend/row_argmax.h"

#include <cmath>

namespace keel {

void argmax_rows_on_host(const float* logits, int64_t rows, int64_t vocab, RowArgmax* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits + r * vocab;
    int64_t best = 0;
    float best_value = row[0];
    bool finite = true;
    for (int64_t i = 0; i < vocab; ++i) {
      finite &= std::isfinite(row[i]);
      if (row[i] > best_value) {  // strictly greater: the first of equal maxima stays
        best = i;
        best_value = row[i];
      }
    }
    out[r] = RowArgmax{static_cast<int32_t>(best), finite ? 1 : 0};
  }
}

}  // namespace keel
