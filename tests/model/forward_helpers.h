// Small drivers of Model::forward shared by the model tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "model/model.h"

namespace keel::testing {

// Runs `tokens` as one prefill of slot 0 starting at `first_position`,
// returning logits for every token ([tokens × vocab]).
inline std::vector<float> prefill_all_logits(Model& model, KvCache& cache, const std::vector<int32_t>& tokens,
                                             int32_t first_position = 0, int32_t slot = 0) {
  const size_t n = tokens.size();
  std::vector<int32_t> positions(n), slots(n, slot);
  for (size_t i = 0; i < n; ++i) positions[i] = first_position + static_cast<int32_t>(i);
  std::vector<uint8_t> wants(n, 1);
  std::vector<float> logits(n * static_cast<size_t>(model.config().vocab));
  Status status = model.forward({tokens, positions, slots, wants}, cache, logits);
  if (!status.ok()) logits.clear();
  return logits;
}

// max |a - b| over each row, divided by that row's max |b|; the worst row.
inline double max_relative_row_error(const std::vector<float>& a, const std::vector<float>& b, int64_t row_size) {
  double worst = 0;
  for (size_t start = 0; start + row_size <= b.size(); start += row_size) {
    double scale = 0, diff = 0;
    for (int64_t i = 0; i < row_size; ++i) {
      scale = std::max(scale, std::abs(static_cast<double>(b[start + i])));
      diff = std::max(diff, std::abs(static_cast<double>(a[start + i]) - b[start + i]));
    }
    worst = std::max(worst, diff / std::max(scale, 1e-30));
  }
  return worst;
}

inline int32_t argmax(const float* row, int64_t n) {
  int32_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best]) best = static_cast<int32_t>(i);
  return best;
}

}  // namespace keel::testing
