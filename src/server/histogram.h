// Histogram: fixed buckets, lock-free observation. Many I/O threads record
// latencies while a scrape reads them; a scrape may see an observation in
// `count` a moment before its bucket, which Prometheus tolerates.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace keel::server {

class Histogram {
 public:
  // `bounds`: increasing upper bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf last
    double sum = 0.0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  // sum in micro-units: atomics on doubles need CAS loops
};

// vLLM's bucket boundaries, so that existing dashboards' quantiles line up.
std::vector<double> ttft_buckets();
std::vector<double> inter_token_buckets();
std::vector<double> request_latency_buckets();

}  // namespace keel::server
