// CpuBackend: the fast CPU implementation of Backend.
//
// Its device memory is host memory: weights stay the file's memory-mapped
// views, and buffers are 64-byte aligned host allocations made once.
// Float32 arithmetic throughout; weights are decoded from their stored
// dtype a panel (4 rows × kPanelCols columns) at a time into a small
// per-task buffer, and each panel is used against every token of the batch
// before the next is decoded, so a forward call reads and decodes each
// weight byte once however many tokens it carries. Work is spread over
// ThreadPool::global(); the hot loops have AVX2 versions chosen at run time
// (cpu_features.h).
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/panel_dot.h"

namespace keel {

class CpuBackend : public Backend {
 public:
  CpuBackend();

  std::string_view name() const override { return "cpu"; }

  Result<DeviceBuffer> allocate(size_t bytes) override;
  Result<const std::byte*> make_resident(std::span<const std::byte> host) override { return host.data(); }
  void copy_to_device(const void* host, void* device, size_t bytes) override;
  void copy_to_host(const void* device, void* host, size_t bytes) override;
  Status synchronize() override { return ok_status(); }

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override;
  void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) override;
  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) override;
  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
            const RopeParams& params) override;
  void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping, int32_t layer,
                KvStorage& kv) override;
  void attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                 const KvStorage& kv, float* out) override;
  void swiglu(float* gate, const float* up, int64_t n) override;
  void add(float* dst, const float* src, int64_t n) override;
  void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) override;

  // Columns of a decoded weight panel: 4 rows × 256 floats = 4 KiB, small
  // enough to stay in L1 next to the token rows' slices.
  static constexpr int64_t kPanelCols = 256;

 private:
  static constexpr int64_t kPanelFloats = cpu::Panel::kMaxRows * kPanelCols;

  // One panel buffer per parallel task.
  float* panel_buffer(int64_t task) { return panel_buffers_.data() + task * kPanelFloats; }

  int64_t tasks_;                     // parallel tasks per op: the pool's thread count
  std::vector<float> panel_buffers_;  // [tasks_, 4, kPanelCols]
};

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace keel
