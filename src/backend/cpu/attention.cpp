// CpuBackend::kv_store and CpuBackend::attention.
//
// Attention runs one task per (token, query head). It walks the token's
// sequence in the cache run by run (KvCache::run_at), with an online
// softmax: a running maximum m, running denominator l and running weighted
// sum of values, rescaled whenever m grows. This needs no score buffer, so
// context length costs no scratch memory, and it is exact in real
// arithmetic (float32 rounding only).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/parallel.h"
#include "core/check.h"
#include "core/multiversion.h"

namespace keel {

void CpuBackend::kv_store(const float* keys, const float* values, const TokenPlacement& placement,
                          int32_t layer, KvCache& cache) {
  const int64_t width = cache.row_width();
  for (size_t t = 0; t < placement.positions.size(); ++t) {
    const KvCache::Run run = cache.run_at(placement.sequence_slot[t], layer, placement.positions[t]);
    std::memcpy(run.keys, keys + static_cast<int64_t>(t) * width, sizeof(float) * width);
    std::memcpy(run.values, values + static_cast<int64_t>(t) * width, sizeof(float) * width);
  }
}

namespace {

// One (token, query head): the online softmax over the token's sequence,
// read from the cache run by run. Compiled for AVX2 too (KEEL_MULTIVERSION):
// the dot products and the value accumulation are its whole cost.
KEEL_MULTIVERSION void attend_one_head(const float* query, const KvCache& cache, int32_t sequence_slot,
                                       int32_t layer, int32_t last_position, int64_t kv_offset, int64_t hd,
                                       float scale, float* acc) {
  const int64_t width = cache.row_width();
  std::memset(acc, 0, sizeof(float) * hd);
  float running_max = -std::numeric_limits<float>::infinity();
  float denominator = 0.0f;
  for (int32_t p = 0; p <= last_position;) {
    const KvCache::Run run = cache.run_at(sequence_slot, layer, p);
    const int32_t count = std::min(run.count, last_position + 1 - p);
    for (int32_t i = 0; i < count; ++i) {
      const float score = cpu::dot(query, run.keys + i * width + kv_offset, hd) * scale;
      if (score > running_max) {
        // Rescale what was accumulated under the old maximum.
        const float correction = std::exp(running_max - score);
        denominator *= correction;
        for (int64_t d = 0; d < hd; ++d) acc[d] *= correction;
        running_max = score;
      }
      const float weight = std::exp(score - running_max);
      denominator += weight;
      cpu::axpy(weight, run.values + i * width + kv_offset, acc, hd);
    }
    p += count;
  }
  const float inv = 1.0f / denominator;
  for (int64_t d = 0; d < hd; ++d) acc[d] *= inv;
}

}  // namespace

void CpuBackend::attention(const float* q, const TokenPlacement& placement, const AttentionShape& shape,
                           int32_t layer, const KvCache& cache, float* out) {
  const int64_t hd = shape.head_dim;
  const int64_t group = shape.query_heads / shape.kv_heads;  // query heads per kv head
  KEEL_CHECK(group * shape.kv_heads == shape.query_heads, "query heads must be a multiple of kv heads");
  KEEL_CHECK(cache.row_width() == shape.kv_heads * hd, "cache row width does not match the kv heads");
  const int64_t n_tokens = static_cast<int64_t>(placement.positions.size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));

  cpu::parallel_for(n_tokens * shape.query_heads, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t t = task / shape.query_heads;
      const int64_t head = task % shape.query_heads;
      attend_one_head(q + (t * shape.query_heads + head) * hd, cache, placement.sequence_slot[t], layer,
                      placement.positions[t], (head / group) * hd, hd, scale,
                      out + (t * shape.query_heads + head) * hd);
    }
  });
}

}  // namespace keel
