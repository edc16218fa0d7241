#include "backend/cuda/op_timer.h"

#include <algorithm>
#include <utility>

namespace keel::cuda {

OpTimer::~OpTimer() {
  if (!enabled_) return;
  collect();
  print(stderr);
  for (const Pending& p : pending_) {
    cudaEventDestroy(p.start);
    cudaEventDestroy(p.stop);
  }
  for (cudaEvent_t e : spare_) cudaEventDestroy(e);
}

cudaEvent_t OpTimer::take_event() {
  if (!spare_.empty()) {
    cudaEvent_t e = spare_.back();
    spare_.pop_back();
    return e;
  }
  cudaEvent_t e = nullptr;
  cudaEventCreate(&e);
  return e;
}

OpTimer::Scope::Scope(OpTimer* timer, const char* name, cudaStream_t stream) : timer_(timer), stream_(stream) {
  if (timer_ == nullptr) return;
  Pending p{name, timer_->take_event(), timer_->take_event()};
  cudaEventRecord(p.start, stream_);
  pair_ = timer_->pending_.size();
  timer_->pending_.push_back(p);
}

OpTimer::Scope::~Scope() {
  if (timer_ != nullptr) cudaEventRecord(timer_->pending_[pair_].stop, stream_);
}

void OpTimer::collect() {
  for (const Pending& p : pending_) {
    float ms = 0;
    if (cudaEventElapsedTime(&ms, p.start, p.stop) == cudaSuccess) {
      Total& total = totals_[p.name];
      total.calls += 1;
      total.ms += ms;
    } else {
      cudaGetLastError();  // a pair that never ran (a failed step): not counted
    }
    spare_.push_back(p.start);
    spare_.push_back(p.stop);
  }
  pending_.clear();
}

void OpTimer::print(std::FILE* out) const {
  std::vector<std::pair<std::string, Total>> rows(totals_.begin(), totals_.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  double all = 0;
  for (const auto& [name, total] : rows) all += total.ms;
  std::fprintf(out, "KEEL_CUDA_PROFILE: GPU time by op (%.1f ms in all)\n", all);
  std::fprintf(out, "  %-28s %10s %12s %10s %7s\n", "op", "calls", "total ms", "us/call", "share");
  for (const auto& [name, total] : rows)
    std::fprintf(out, "  %-28s %10lld %12.2f %10.1f %6.1f%%\n", name.c_str(), static_cast<long long>(total.calls),
                 total.ms, 1e3 * total.ms / static_cast<double>(total.calls), all > 0 ? 100.0 * total.ms / all : 0.0);
}

}  // namespace keel::cuda
