#include "backend/fault_injecting_backend.h"

#include <chrono>
#include <limits>
#include <thread>

namespace keel {

void FaultInjectingBackend::fail_next(std::string cause, int64_t count, int64_t after) {
  std::lock_guard lock(failure_mutex_);
  cause_ = std::move(cause);
  successes_before_ = after;
  failures_pending_ = count;
}

Result<DeviceBuffer> FaultInjectingBackend::allocate(size_t bytes) {
  if (allocations_fail_.load()) return Error{"out of device memory (injected)"};
  if (simulated_total_ == 0) return real_->allocate(bytes);
  std::lock_guard lock(buffers_mutex_);
  if (simulated_others_ + simulated_in_use_ + static_cast<int64_t>(bytes) > simulated_total_)
    return Error{"out of device memory (simulated: " + std::to_string(simulated_total_) + " bytes)"};
  KEEL_ASSIGN_OR_RETURN(DeviceBuffer real, real_->allocate(bytes));
  void* data = real.data();
  const bool host_visible = real.host_visible();
  simulated_in_use_ += static_cast<int64_t>(bytes);
  simulated_buffers_.emplace(data, std::move(real));
  return DeviceBuffer(data, bytes, host_visible, release_simulated, this);
}

void FaultInjectingBackend::release_simulated(void* context, void* data) {
  auto* self = static_cast<FaultInjectingBackend*>(context);
  std::lock_guard lock(self->buffers_mutex_);
  const auto held = self->simulated_buffers_.find(data);
  if (held == self->simulated_buffers_.end()) return;
  self->simulated_in_use_ -= static_cast<int64_t>(held->second.bytes());
  self->simulated_buffers_.erase(held);  // the real buffer goes back to the real backend
}

std::optional<DeviceMemory> FaultInjectingBackend::device_memory() const {
  if (simulated_total_ == 0) return real_->device_memory();
  std::lock_guard lock(buffers_mutex_);
  return DeviceMemory{"simulated device", simulated_total_, simulated_total_ - simulated_others_ - simulated_in_use_};
}

DeviceMemoryUse FaultInjectingBackend::device_memory_use() const {
  if (simulated_total_ == 0) return real_->device_memory_use();
  std::lock_guard lock(buffers_mutex_);
  return DeviceMemoryUse{0, simulated_in_use_};
}

void FaultInjectingBackend::matmul(const float* x, int64_t n_tokens, const TensorView& w, const float* bias,
                                   float* y) {
  real_->matmul(x, n_tokens, w, bias, y);
  const int64_t out = poison_out_.load();
  if (out == 0 || w.rows() != out || poison_row_.load() >= n_tokens) return;
  poison_out_.store(0);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  real_->copy_to_device(&nan, y + poison_row_.load() * out + out / 2, sizeof nan);
  (void)real_->synchronize();  // `nan` lives on this stack frame
}

Status FaultInjectingBackend::synchronize() {
  while (stalled_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status status = real_->synchronize();
  std::lock_guard lock(failure_mutex_);
  if (failures_pending_ == 0) return status;
  if (successes_before_ > 0) {
    --successes_before_;
    return status;
  }
  --failures_pending_;
  return Error{cause_};
}

}  // namespace keel
