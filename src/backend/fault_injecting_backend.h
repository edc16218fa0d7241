// FaultInjectingBackend: a real backend wrapped so that tests (and `keel
// serve --enable-test-hooks`) can make the device hang or fail on demand,
// without a test hook inside the engine.
//
// Every call is passed to the wrapped backend. A fault shows where a real
// device's would: in synchronize(), the call that waits for the device.
//   stall(true)        synchronize() blocks until stall(false), as if a
//                      kernel hung (the engine's heartbeat stops)
//   poison_logits(out, row)  the next matmul with `out` output columns (the
//                      model's vocabulary: its output head) writes NaN into
//                      row `row` of its result, as a model that overflowed
//                      for one sequence would
//   fail_next(cause, n, after)  after `after` more successful calls, the
//                      next n synchronize() calls return Error{cause}, as
//                      if the device reported a failed kernel (a forward
//                      step synchronizes once, so each failed call fails
//                      one engine step, and `after` picks which)
//   fail_allocations(true)  allocate() fails until fail_allocations(false),
//                      as a device out of memory would (an engine restart
//                      then cannot re-reserve its pool)
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "backend/backend.h"

namespace keel {

class FaultInjectingBackend : public Backend {
 public:
  explicit FaultInjectingBackend(std::unique_ptr<Backend> real) : real_(std::move(real)) {}

  void stall(bool stalled) { stalled_.store(stalled); }
  void fail_next(std::string cause, int64_t count = 1, int64_t after = 0);
  void fail_allocations(bool failing) { allocations_fail_.store(failing); }
  // Pretends the device has `total_bytes` of memory of its own (as a GPU
  // has), `others_bytes` of it used by other processes: device_memory()
  // reports it, less the buffers allocated through this backend and not
  // yet dropped, so the engine's --gpu-memory-utilization sizing can be
  // tested on any backend.
  void simulate_device_memory(int64_t total_bytes, int64_t others_bytes = 0) {
    simulated_total_ = total_bytes;
    simulated_others_ = others_bytes;
  }
  void poison_logits(int64_t out, int64_t row) {
    poison_row_.store(row);
    poison_out_.store(out);
  }

  std::string_view name() const override { return real_->name(); }
  Result<DeviceBuffer> allocate(size_t bytes) override;
  std::optional<DeviceMemory> device_memory() const override;
  DeviceMemoryUse device_memory_use() const override;
  Result<const std::byte*> make_resident(std::span<const std::byte> host) override { return real_->make_resident(host); }
  Result<const std::byte*> make_matrix_resident(const TensorView& matrix) override {
    return real_->make_matrix_resident(matrix);
  }
  void copy_to_device(const void* host, void* device, size_t bytes) override { real_->copy_to_device(host, device, bytes); }
  Result<DeviceBuffer> allocate_host(size_t bytes) override { return real_->allocate_host(bytes); }
  void copy_to_host(const void* device, void* host, size_t bytes) override { real_->copy_to_host(device, host, bytes); }
  Status synchronize() override;
  int64_t device_allocations() const override { return real_->device_allocations(); }
  Status reserve_matmul_input(int64_t max_rows, int64_t max_cols) override {
    return real_->reserve_matmul_input(max_rows, max_cols);
  }

  void matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias, float* y) override;
  void matmul_group(const float* x, int64_t n_tokens, std::span<const MatmulTarget> targets) override {
    real_->matmul_group(x, n_tokens, targets);
  }
  // A step with a poison armed runs op by op: the poison's copy and wait
  // cannot be part of a recorded step (a CUDA graph capture refuses them).
  bool can_capture_step(int64_t n_tokens) const override {
    return poison_out_.load() == 0 && real_->can_capture_step(n_tokens);
  }
  bool replay_step(const StepShape& shape) override { return real_->replay_step(shape); }
  void begin_capture(const StepShape& shape) override { real_->begin_capture(shape); }
  void end_capture() override { real_->end_capture(); }
  void forget_steps(uint64_t owner) override { real_->forget_steps(owner); }
  void embed(const TensorView& table, const int32_t* tokens, int64_t n_tokens, float* out) override {
    real_->embed(table, tokens, n_tokens, out);
  }
  void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) override {
    real_->rms_norm(x, rows, dim, weight, eps, y);
  }
  void rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* positions,
            const RopeParams& params) override {
    real_->rope(x, n_tokens, n_heads, head_dim, positions, params);
  }
  void kv_store(const float* keys, const float* values, int64_t n_tokens, const int32_t* slot_mapping, int32_t layer,
                KvStorage& kv) override {
    real_->kv_store(keys, values, n_tokens, slot_mapping, layer, kv);
  }
  void attention(const float* q, const ForwardBatch& batch, const AttentionShape& shape, int32_t layer,
                 const KvStorage& kv, float* out) override {
    real_->attention(q, batch, shape, layer, kv, out);
  }
  void swiglu(float* gate, const float* up, int64_t n) override { real_->swiglu(gate, up, n); }
  void add(float* dst, const float* src, int64_t n) override { real_->add(dst, src, n); }
  void argmax_rows(const float* logits, int64_t rows, int64_t vocab, const ExcludedIds& excluded,
                   RowArgmax* out) override {
    ++argmax_calls_;
    real_->argmax_rows(logits, rows, vocab, excluded, out);
  }
  // How many argmax_rows calls went through (the engine's by-argmax steps).
  int64_t argmax_calls() const { return argmax_calls_.load(); }
  void gather_rows(const float* src, int64_t width, const int32_t* rows, int64_t n_rows, float* dst) override {
    real_->gather_rows(src, width, rows, n_rows, dst);
  }

 private:
  std::unique_ptr<Backend> real_;
  std::atomic<bool> stalled_{false};
  std::atomic<bool> allocations_fail_{false};
  // simulate_device_memory: the pretended device, and the buffers held on it
  // (each one the real backend's, handed out under this backend's release).
  int64_t simulated_total_ = 0, simulated_others_ = 0;
  mutable std::mutex buffers_mutex_;
  std::map<void*, DeviceBuffer> simulated_buffers_;  // guarded by buffers_mutex_
  int64_t simulated_in_use_ = 0;                      // guarded by buffers_mutex_
  static void release_simulated(void* context, void* data);
  std::atomic<int64_t> argmax_calls_{0};
  std::atomic<int64_t> poison_out_{0}, poison_row_{0};  // poison_out_ 0: nothing to poison
  std::mutex failure_mutex_;
  std::string cause_;               // guarded by failure_mutex_
  int64_t successes_before_ = 0;    // guarded by failure_mutex_
  int64_t failures_pending_ = 0;    // guarded by failure_mutex_
};

}  // namespace keel
