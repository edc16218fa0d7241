// CpuBackend::kv_store and CpuBackend::attention over the paged KV storage.
//
// Attention runs one task per (row, kv head): the row's query heads that
// share that kv head are attended together, so each stored K and V row is
// read (and, for f16/bf16 storage, decoded) once per group rather than once
// per query head. The task walks its sequence's positions block by block
// through the batch's block table, with an online softmax per query head: a
// running maximum m, running denominator l and running weighted sum of
// values, rescaled whenever m grows. This needs no score buffer, so context
// length costs no scratch memory, and it is exact in real arithmetic
// (float32 rounding only); each head's sums run in position order, so the
// result does not depend on the group size or on the rest of the batch.
// f16/bf16 rows are decoded by the CPU's row decoders (F16C where the CPU
// has it). The body is compiled twice, portable and for AVX2 + FMA, and the
// version is chosen from cpu_features() (target_clones' own dispatch did
// not pick its AVX2 clone on every AVX2 machine: a virtual "AMD EPYC").
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dot.h"
#include "backend/cpu/cpu_features.h"
#include "backend/cpu/parallel.h"
#include "core/check.h"
#include "core/dequantize.h"
#include "backend/cpu/row_decoder.h"

namespace keel {

void CpuBackend::kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping,
                          int32_t layer, KvStorage& kv) {
  const KvStorageShape& shape = kv.shape();
  const int64_t width = shape.row_elems();
  const int64_t row_bytes = shape.row_bytes();
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t slot = slot_mapping[t];
    quantize_row(shape.dtype, keys + t * width, kv.keys(layer) + slot * row_bytes, width);
    quantize_row(shape.dtype, values + t * width, kv.values(layer) + slot * row_bytes, width);
  }
}

namespace {

// Query heads attended together, at most: their accumulators stay on the stack.
constexpr int64_t kAccumulatorFloats = 4096;
constexpr int64_t kMaxHeadDim = 512;
constexpr int64_t kMaxHeadsPerTask = 128;

// Where one task reads its sequence: `layer` of the storage through one block table.
struct SequenceView {
  const std::byte* keys;
  const std::byte* values;
  const int32_t* blocks;  // the sequence's block table
  int32_t block_size;
  int64_t row_bytes;      // bytes per stored row (all kv heads)
  int64_t head_offset;    // bytes from a row's start to this kv head
  RowDecoder decode;      // f16/bf16 storage: the CPU's decoder (cpu::row_decoder); null: f32, read in place
};

// The query heads [heads] sharing one kv head, for one row: online softmax
// over positions 0 .. last_position. Inlined into a portable and an AVX2
// caller (choose_attend_group), so the dot products and value sums — its
// whole cost — are compiled for both.
[[gnu::always_inline]] inline void attend_group_body(const float* queries, int64_t heads, const SequenceView& seq,
                                                     int32_t last_position, int64_t hd, float scale, float* out) {
  float acc[kAccumulatorFloats];
  float running_max[kMaxHeadsPerTask];
  float denominator[kMaxHeadsPerTask];
  float key_row[kMaxHeadDim], value_row[kMaxHeadDim];
  std::memset(acc, 0, sizeof(float) * static_cast<size_t>(heads * hd));
  for (int64_t h = 0; h < heads; ++h) {
    running_max[h] = -std::numeric_limits<float>::infinity();
    denominator[h] = 0.0f;
  }
  for (int32_t p = 0; p <= last_position; ++p) {
    const int64_t slot = int64_t{seq.blocks[p / seq.block_size]} * seq.block_size + p % seq.block_size;
    const std::byte* stored_key = seq.keys + slot * seq.row_bytes + seq.head_offset;
    const std::byte* stored_value = seq.values + slot * seq.row_bytes + seq.head_offset;
    const float* key = reinterpret_cast<const float*>(stored_key);
    const float* value = reinterpret_cast<const float*>(stored_value);
    if (seq.decode != nullptr) {
      seq.decode(stored_key, key_row, hd);
      seq.decode(stored_value, value_row, hd);
      key = key_row;
      value = value_row;
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* head_acc = acc + h * hd;
      const float score = cpu::dot(queries + h * hd, key, hd) * scale;
      if (score > running_max[h]) {
        // Rescale what was accumulated under the old maximum.
        const float correction = std::exp(running_max[h] - score);
        denominator[h] *= correction;
        for (int64_t d = 0; d < hd; ++d) head_acc[d] *= correction;
        running_max[h] = score;
      }
      const float weight = std::exp(score - running_max[h]);
      denominator[h] += weight;
      cpu::axpy(weight, value, head_acc, hd);
    }
  }
  for (int64_t h = 0; h < heads; ++h) {
    const float inv = 1.0f / denominator[h];
    for (int64_t d = 0; d < hd; ++d) out[h * hd + d] = acc[h * hd + d] * inv;
  }
}

using AttendGroup = void (*)(const float* queries, int64_t heads, const SequenceView& seq, int32_t last_position,
                             int64_t hd, float scale, float* out);

void attend_group_portable(const float* queries, int64_t heads, const SequenceView& seq, int32_t last_position,
                           int64_t hd, float scale, float* out) {
  attend_group_body(queries, heads, seq, last_position, hd, scale, out);
}

#if KEEL_X86_KERNELS
KEEL_TARGET_AVX2 void attend_group_avx2(const float* queries, int64_t heads, const SequenceView& seq,
                                        int32_t last_position, int64_t hd, float scale, float* out) {
  attend_group_body(queries, heads, seq, last_position, hd, scale, out);
}
#endif

// The attention body for this CPU, chosen once per call.
AttendGroup choose_attend_group() {
#if KEEL_X86_KERNELS
  if (cpu_features().avx2) return attend_group_avx2;
#endif
  return attend_group_portable;
}

}  // namespace

void CpuBackend::attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                           const KvStorage& kv, float* out) {
  const int64_t hd = shape.head_dim;
  const int64_t group = shape.query_heads / shape.kv_heads;  // query heads per kv head
  const KvStorageShape& kv_shape = kv.shape();
  KEEL_CHECK(group * shape.kv_heads == shape.query_heads, "query heads must be a multiple of kv heads");
  KEEL_CHECK(kv_shape.kv_heads == shape.kv_heads && kv_shape.head_dim == hd, "KV storage does not match the heads");
  KEEL_CHECK(hd <= kMaxHeadDim, "head_dim above the CPU attention's limit of 512");
  // Query heads per task: the whole group when its accumulators fit.
  const int64_t heads_per_task = std::min({group, kAccumulatorFloats / hd, kMaxHeadsPerTask});
  const int64_t tasks_per_kv_head = (group + heads_per_task - 1) / heads_per_task;
  const int64_t tasks_per_row = shape.kv_heads * tasks_per_kv_head;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t element_bytes = kv_shape.row_bytes() / kv_shape.row_elems();
  const AttendGroup attend_group = choose_attend_group();
  const RowDecoder decode = kv_shape.dtype == DType::F32 ? nullptr : cpu::row_decoder(kv_shape.dtype);
  const int64_t q_width = shape.query_heads * hd;

  cpu::parallel_for(int64_t{batch.n_tokens} * tasks_per_row, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / tasks_per_row;
      const int64_t kv_head = task % tasks_per_row / tasks_per_kv_head;
      const int64_t first_head = kv_head * group + task % tasks_per_kv_head * heads_per_task;
      const int64_t heads = std::min(heads_per_task, (kv_head + 1) * group - first_head);
      // The sequence that owns this row: the last s with query_start[s] <= row.
      const auto s = std::upper_bound(batch.query_start.begin(), batch.query_start.end() - 1,
                                      static_cast<int32_t>(row)) - batch.query_start.begin() - 1;
      const SequenceView seq{kv.keys(layer),
                             kv.values(layer),
                             batch.block_tables.data() + s * batch.max_blocks_per_seq,
                             kv_shape.block_size,
                             kv_shape.row_bytes(),
                             kv_head * hd * element_bytes,
                             decode};
      attend_group(q + row * q_width + first_head * hd, heads, seq, batch.positions[static_cast<size_t>(row)], hd,
                   scale, out + row * q_width + first_head * hd);
    }
  });
}

}  // namespace keel
