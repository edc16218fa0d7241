#include "bench/machine_ceilings.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "backend/cpu/multiversion.h"
#include "backend/cpu/thread_pool.h"

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

// The shortest wall time of three runs of `run`: the machine's best, which
// is what a ceiling is.
double shortest_of_three(const std::function<void()>& run) {
  double shortest = std::numeric_limits<double>::infinity();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    run();
    shortest = std::min(shortest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return shortest;
}

}  // namespace

double measured_read_bandwidth() {
  static const double bandwidth = [] {
    constexpr size_t kElems = (size_t{1} << 30) / sizeof(uint64_t);
    std::vector<uint64_t> buffer(kElems, 1);  // touching every page once here keeps page faults out of the timing
    ThreadPool& pool = ThreadPool::global();
    std::vector<uint64_t> sums(pool.size());
    const double seconds = shortest_of_three([&] {
      pool.parallel_for(static_cast<int64_t>(sums.size()), [&](int64_t first, int64_t last) {
        for (int64_t part = first; part < last; ++part) {
          const size_t begin = kElems * static_cast<size_t>(part) / sums.size();
          const size_t end = kElems * static_cast<size_t>(part + 1) / sums.size();
          // kept, so the reads are not optimised away
          sums[static_cast<size_t>(part)] = sum_range(buffer.data() + begin, buffer.data() + end);
        }
      });
    });
    return static_cast<double>(kElems * sizeof(uint64_t)) / seconds;
  }();
  return bandwidth;
}

double measured_fma_rate() {
  static const double rate = [] {
    constexpr int64_t kSteps = 2'000'000;
    ThreadPool& pool = ThreadPool::global();
    std::vector<float> results(pool.size());
    const double seconds = shortest_of_three([&] {
      pool.parallel_for(static_cast<int64_t>(results.size()), [&](int64_t first, int64_t last) {
        // kept, so the work is not optimised away
        for (int64_t part = first; part < last; ++part) results[static_cast<size_t>(part)] = multiply_add_chains(kSteps);
      });
    });
    return 2.0 * kChains * static_cast<double>(kSteps) * static_cast<double>(results.size()) / seconds;
  }();
  return rate;
}

}  // namespace keel::bench
