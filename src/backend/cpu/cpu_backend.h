// CpuBackend: the fast CPU implementation of Backend.
//
// Its device memory is host memory: weights stay the file's memory-mapped
// views, and buffers are 64-byte aligned host allocations made once.
// The matmul walks the weight a panel (4 rows × kPanelCols columns) at a
// time and uses each panel against every token of the batch before the
// next, so a forward call reads each weight byte once however many tokens
// it carries. Two kernels:
//  - fast (the default): weights of the 32-element block types (Q8_0,
//    Q4_0, Q4_1, Q5_0) are multiplied in integers, as stored, by the
//    activation rows quantized to int16 blocks once per matmul
//    (quantized_activations.h, integer_dot.h);
//  - exact (CpuOptions::exact_kernels, `--exact-kernels`), and every other
//    dtype on either path: the panel is decoded exactly to float32 and
//    multiplied in float32 (panel_dot.h).
// Work is spread over ThreadPool::global(); the hot loops have AVX2
// versions chosen at run time (cpu_features.h). The scratch (panel buffers,
// quantized input) is the backend's own, so one op runs at a time per
// backend, as one runner steps at a time.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/panel_dot.h"
#include "backend/cpu/quantized_activations.h"

namespace keel {

struct CpuOptions {
  // Float products on exactly decoded weights for every dtype: what the
  // transformers-exactness tests hold keel to. Off: the integer-dot kernels.
  bool exact_kernels = false;
};

class CpuBackend : public Backend {
 public:
  explicit CpuBackend(const CpuOptions& options = {});

  std::string_view name() const override { return "cpu"; }

  Result<DeviceBuffer> allocate(size_t bytes) override;
  Result<const std::byte*> make_resident(std::span<const std::byte> host) override { return host.data(); }
  void copy_to_device(const void* host, void* device, size_t bytes) override;
  void copy_to_host(const void* device, void* host, size_t bytes) override;
  Status synchronize() override { return ok_status(); }
  // Reserves the quantized copy of a matmul input (the fast path's only
  // scratch that grows with the batch): [max_rows, max_cols / 32] blocks.
  Status reserve_matmul_input(int64_t max_rows, int64_t max_cols) override;

  bool exact_kernels() const { return options_.exact_kernels; }

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override;
  void matmul_group(const float* x, int64_t n_tokens, std::span<const MatmulTarget> targets) override;
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

  CpuOptions options_;
  int64_t tasks_;                     // parallel tasks per op: the pool's thread count
  std::vector<float> panel_buffers_;  // [tasks_, 4, kPanelCols]
  cpu::QuantizedActivations quantized_input_;  // the integer path's x, reserved by reserve_matmul_input
};

std::unique_ptr<Backend> make_cpu_backend(const CpuOptions& options = {});

}  // namespace keel
