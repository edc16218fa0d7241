#include "backend/row_argmax.h"

#include <cmath>
#include <cstring>

namespace keel {
namespace {

// Four floats in one register (GCC's and Clang's vector extension): at -O2
// a running maximum stays scalar, and a scalar running index chains every
// compare through the last winner; four running maxima do not.
using Floats = float __attribute__((vector_size(16)));
using Ints = int32_t __attribute__((vector_size(16)));
constexpr int64_t kLanes = 4;

Floats load(const float* from) {
  Floats v;
  std::memcpy(&v, from, sizeof v);
  return v;
}

bool any(Ints mask) { return (mask[0] | mask[1] | mask[2] | mask[3]) != 0; }

// The largest value of row[0, n), NaN never winning over a number (a NaN
// in row[0] stays: the row is then reported not finite anyway).
float largest(const float* row, int64_t n) {
  Floats lanes[4];
  for (Floats& lane : lanes) lane = Floats{} + row[0];
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes)
    for (int64_t j = 0; j < 4; ++j) {
      const Floats v = load(row + i + j * kLanes);
      lanes[j] = v > lanes[j] ? v : lanes[j];
    }
  float best = row[0];
  for (const Floats& lane : lanes)
    for (int64_t k = 0; k < kLanes; ++k)
      if (lane[k] > best) best = lane[k];
  for (; i < n; ++i)
    if (row[i] > best) best = row[i];
  return best;
}

// The first index of row[0, n) holding `value`; 0 if none does (a NaN maximum).
int64_t first_index_of(const float* row, int64_t n, float value) {
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes)  // sixteen at a time, then the one below
    if (any((load(row + i) == value) | (load(row + i + kLanes) == value) | (load(row + i + 2 * kLanes) == value) |
            (load(row + i + 3 * kLanes) == value)))
      break;
  for (; i < n; ++i)
    if (row[i] == value) return i;
  return 0;
}

// The first index of the largest value among the ids not excluded: the
// slow way, for the rare row whose overall maximum is an excluded id.
int64_t first_largest_allowed(const float* row, int64_t n, const ExcludedIds& excluded) {
  int64_t best = 0;
  while (best < n && excluded.contains(best)) ++best;
  if (best == n) return 0;
  for (int64_t i = best + 1; i < n; ++i)
    if (row[i] > row[best] && !excluded.contains(i)) best = i;
  return best;
}

}  // namespace

// A float is not finite when its exponent bits are all ones (infinity, NaN).
bool all_finite(const float* row, int64_t n) {
  constexpr int32_t kExponent = 0x7f800000;
  Ints not_finite{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    Ints bits;
    std::memcpy(&bits, row + i, sizeof bits);
    not_finite |= (bits & kExponent) == kExponent;
  }
  bool finite = !any(not_finite);
  for (; i < n; ++i) finite &= std::isfinite(row[i]);
  return finite;
}

int64_t first_largest_index(const float* row, int64_t n) { return first_index_of(row, n, largest(row, n)); }

void argmax_rows_on_host(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                         RowArgmax* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = logits + r * vocab;
    const int64_t best = first_largest_index(row, vocab);
    const int64_t allowed = excluded.contains(best) ? first_largest_allowed(row, vocab, excluded) : best;
    out[r] = RowArgmax{static_cast<int32_t>(best), static_cast<int32_t>(allowed), all_finite(row, vocab) ? 1 : 0};
  }
}

}  // namespace keel
