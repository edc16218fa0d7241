// Float32 dot product written so the compiler vectorizes it: 32 independent
// partial sums are four 8-lane AVX2 accumulators (or eight SSE ones), enough
// to hide the latency of the fused multiply-adds.
#pragma once

#include <cstdint>

namespace keel::cpu {

inline float dot(const float* a, const float* b, int64_t n) {
  constexpr int kLanes = 32;
  float partial[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane) partial[lane] += a[i + lane] * b[i + lane];
  float tail = 0.0f;
  for (; i < n; ++i) tail += a[i] * b[i];
  // Pairwise reduction: lanes 0..15 + 16..31, then 0..7 + 8..15, ...
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int lane = 0; lane < width; ++lane) partial[lane] += partial[lane + width];
  return partial[0] + tail;
}

// y[i] += a * x[i]
inline void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace keel::cpu
