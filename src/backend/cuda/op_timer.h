// Per-op GPU time of the CUDA backend, for profiling where nsys is absent:
// with KEEL_CUDA_PROFILE=1 every op the backend queues is bracketed by a
// pair of events on its stream, and the time between them is added to the
// op's total once the stream has been synchronized. The totals go to
// stderr when the backend is destroyed, largest first. Off (the default),
// a scope costs one branch.
//
// Events around queued work measure the GPU's time for that work alone
// (launch gaps between ops fall outside every pair), so the totals show
// which kernels a step spends its device time in; steps are not recorded
// as CUDA graphs while it is on (events inside a capture would not be
// timed).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace keel::cuda {

class OpTimer {
 public:
  OpTimer() = default;
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;
  ~OpTimer();

  void enable() { enabled_ = true; }
  bool enabled() const { return enabled_; }

  // Times the work queued on `stream` while the scope lives.
  class Scope {
   public:
    Scope(OpTimer* timer, const char* name, cudaStream_t stream);
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    OpTimer* timer_;
    cudaStream_t stream_;
    size_t pair_ = 0;  // index in pending_ (scopes may nest)
  };
  Scope scope(const char* name, cudaStream_t stream) { return Scope(enabled_ ? this : nullptr, name, stream); }

  // Adds every finished pair to its op's total; call once the stream is idle.
  void collect();

  // The totals, largest first: op, calls, milliseconds, share of all.
  void print(std::FILE* out) const;

 private:
  struct Pending {
    const char* name;
    cudaEvent_t start, stop;
  };
  struct Total {
    int64_t calls = 0;
    double ms = 0;
  };
  cudaEvent_t take_event();

  bool enabled_ = false;
  std::vector<Pending> pending_;
  std::vector<cudaEvent_t> spare_;  // events of collected pairs, reused
  std::map<std::string, Total> totals_;
};

}  // namespace keel::cuda
