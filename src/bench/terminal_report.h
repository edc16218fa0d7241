// What a person sees on the terminal: the result table of a run and a
// progress line while it runs (only when stderr is a terminal).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/run_summary.h"

namespace keel::bench {

std::string format_summary_table(const RunSummary& summary);

class ProgressLine {
 public:
  // total_requests 0 / duration_s 0: that bound is not shown.
  ProgressLine(uint64_t total_requests, double duration_s);
  // Redraws at most a few times a second.
  void update(uint64_t done, uint64_t failed, double elapsed_s);
  void finish();

 private:
  uint64_t total_;
  double duration_s_;
  bool enabled_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace keel::bench
