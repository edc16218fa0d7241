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
