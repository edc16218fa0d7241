#include "machine_ceilings.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"

namespace keel::bench {

double measured_read_bandwidth() {
  static const double bandwidth = [] {
    constexpr size_t kElems = (size_t{1} << 30) / sizeof(uint64_t);
    std::vector<uint64_t> buffer(kElems, 1);  // touching every page once here keeps page faults out of the timing
    ThreadPool& pool = ThreadPool::global();
    std::vector<uint64_t> sums(pool.size());
    double best = 0;
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      pool.parallel_for(static_cast<int64_t>(sums.size()), [&](int64_t first, int64_t last) {
        for (int64_t part = first; part < last; ++part) {
          const size_t begin = kElems * static_cast<size_t>(part) / sums.size();
          const size_t end = kElems * static_cast<size_t>(part + 1) / sums.size();
          uint64_t sum = 0;
          for (size_t i = begin; i < end; ++i) sum += buffer[i];
          sums[static_cast<size_t>(part)] = sum;  // kept, so the reads are not optimised away
        }
      });
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, static_cast<double>(kElems * sizeof(uint64_t)) / seconds);
    }
    return best;
  }();
  return bandwidth;
}

double measured_fma_rate() {
  static const double rate = [] {
    // 64 independent accumulators in a cache-resident block: enough
    // parallel chains to hide the multiply-add latency.
    constexpr int kLanes = 64;
    constexpr int64_t kSteps = 2'000'000;
    ThreadPool& pool = ThreadPool::global();
    std::vector<float> results(pool.size());
    double best = 0;
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      pool.parallel_for(static_cast<int64_t>(results.size()), [&](int64_t first, int64_t last) {
        for (int64_t part = first; part < last; ++part) {
          float acc[kLanes];
          for (int i = 0; i < kLanes; ++i) acc[i] = static_cast<float>(i) * 1e-3f;
          const float scale = 0.999999f, offset = 1e-7f;
          for (int64_t step = 0; step < kSteps; ++step)
            for (int i = 0; i < kLanes; ++i) acc[i] = acc[i] * scale + offset;
          float sum = 0;
          for (const float v : acc) sum += v;
          results[static_cast<size_t>(part)] = sum;  // kept, so the work is not optimised away
        }
      });
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double flops = 2.0 * kLanes * static_cast<double>(kSteps) * static_cast<double>(results.size());
      best = std::max(best, flops / seconds);
    }
    return best;
  }();
  return rate;
}

}  // namespace keel::bench
