#include "backend/fault_injecting_backend.h"

#include <chrono>
#include <thread>

namespace keel {

void FaultInjectingBackend::fail_next(std::string cause) {
  {
    std::lock_guard lock(cause_mutex_);
    cause_ = std::move(cause);
  }
  failure_pending_.store(true);
}

Status FaultInjectingBackend::synchronize() {
  while (stalled_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  Status status = real_->synchronize();
  if (failure_pending_.exchange(false)) {
    std::lock_guard lock(cause_mutex_);
    return Error{cause_};
  }
  return status;
}

}  // namespace keel
