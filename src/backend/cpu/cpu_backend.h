// CpuBackend: the reference implementation of Backend.
//
// Float32 arithmetic throughout; weights are decoded from their stored
// dtype a few rows at a time into a small per-task buffer, and each decoded
// tile is used against every token of the batch before the next is read, so a forward call reads each weight byte once however many tokens
// it carries. Work is spread over ThreadPool::global().
#pragma once

#include <vector>

#include "backend/backend.h"

namespace keel {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const BackendLimits& limits);

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias,
              float* y) override;
  void embed(const TensorView& table, std::span<const int32_t> tokens, float* out) override;
  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps,
                float* y) override;
  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim,
            std::span<const int32_t> positions, const RopeParams& params) override;
  void kv_store(const float* keys, const float* values, const TokenPlacement& placement, int32_t layer,
                KvCache& cache) override;
  void attention(const float* q, const TokenPlacement& placement, const AttentionShape& shape,
                 int32_t layer, const KvCache& cache, float* out) override;
  void swiglu(float* gate, const float* up, int64_t n) override;
  void add(float* dst, const float* src, int64_t n) override;

  // Weight rows decoded together and dotted with each token row in turn.
  static constexpr int64_t kTileRows = 4;

 private:

  // One decode buffer of kTileRows x max_row_elems floats per parallel task.
  float* tile_buffer(int64_t task) { return tile_buffers_.data() + task * kTileRows * limits_.max_row_elems; }

  BackendLimits limits_;
  int64_t tasks_;                   // parallel tasks per op: the pool's thread count
  std::vector<float> tile_buffers_;  // [tasks_, kTileRows, max_row_elems]
};

}  // namespace keel
