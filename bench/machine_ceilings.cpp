#include "machine_ceilings.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "core/multiversion.h"
#include "core/thread_pool.h"

namespace keel::bench {

namespace {

// Sum of [begin, end): compiled for AVX2 too, as the kernels it bounds are.
KEEL_MULTIVERSION uint64_t sum_range(const uint64_t* begin, const uint64_t* end) {
  uint64_t sum = 0;
  for (const uint64_t* p = begin; p < end; ++p) sum += *p;
  return sum;
}

// `steps` rounds of multiply-add on 64 independent accumulators in
// registers: enough parallel chains to hide the latency. Compiled for
// AVX2+FMA too (KEEL_MULTIVERSION), so on such a CPU this is the fused
// multiply-add peak the matmul kernels run against.
constexpr int kChains = 64;

KEEL_MULTIVERSION float multiply_add_chains(int64_t steps) {
  float acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = static_cast<float>(i) * 1e-3f;
  const float scale = 0.999999f, offset = 1e-7f;
  for (int64_t step = 0; step < steps; ++step)
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * scale + offset;
  float sum = 0;
  for (const float v : acc) sum += v;
  return sum;
}

}  // namespace

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
          // kept, so the reads are not optimised away
          sums[static_cast<size_t>(part)] = sum_range(buffer.data() + begin, buffer.data() + end);
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
    constexpr int64_t kSteps = 2'000'000;
    ThreadPool& pool = ThreadPool::global();
    std::vector<float> results(pool.size());
    double best = 0;
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      pool.parallel_for(static_cast<int64_t>(results.size()), [&](int64_t first, int64_t last) {
        // kept, so the work is not optimised away
        for (int64_t part = first; part < last; ++part) results[static_cast<size_t>(part)] = multiply_add_chains(kSteps);
      });
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double flops = 2.0 * kChains * static_cast<double>(kSteps) * static_cast<double>(results.size());
      best = std::max(best, flops / seconds);
    }
    return best;
  }();
  return rate;
}

}  // namespace keel::bench
