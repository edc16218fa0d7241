#include "backend/row_argmax.h"

#include <cmath>

namespace keel {

void argmax_rows_on_host(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                         RowArgmax* out) {
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
    // Among the allowed ids: the largest the same way, from the first allowed.
    int64_t allowed = 0;
    while (allowed < vocab && excluded.contains(allowed)) ++allowed;
    float allowed_value = allowed < vocab ? row[allowed] : 0.0f;
    for (int64_t i = allowed + 1; i < vocab; ++i)
      if (row[i] > allowed_value && !excluded.contains(i)) {
        allowed = i;
        allowed_value = row[i];
      }
    out[r] = RowArgmax{static_cast<int32_t>(best), static_cast<int32_t>(allowed), finite ? 1 : 0};
  }
}

}  // namespace keel
