#include "bench/machine_ceilings.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/multiversion.h"
#include "backend/cpu/thread_pool.h"

#if KEEL_X86_KERNELS
#include <immintrin.h>
#endif

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

#if KEEL_X86_KERNELS
// `steps` rounds of one 16-pair int16 dot (madd, add) on kInt16Chains
// independent int32 accumulators — the integer-dot kernel's inner step.
// The shared operand `a` changes every round (one xor), so the compiler can
// neither hoist the multiplies out of the loop nor merge the chains.
constexpr int kInt16Chains = 6;  // 6 accumulators + 6 operands + a + flip fit the 16 YMM registers

KEEL_TARGET_AVX2 int32_t int16_dot_chains(int64_t steps) {
  __m256i acc[kInt16Chains], b[kInt16Chains];
  __m256i a = _mm256_set1_epi16(3);
  const __m256i flip = _mm256_set1_epi16(1);
  for (int i = 0; i < kInt16Chains; ++i) {
    acc[i] = _mm256_setzero_si256();
    b[i] = _mm256_set1_epi16(static_cast<int16_t>(i - 3));
  }
  for (int64_t step = 0; step < steps; ++step) {
    a = _mm256_xor_si256(a, flip);
    for (int i = 0; i < kInt16Chains; ++i) acc[i] = _mm256_add_epi32(acc[i], _mm256_madd_epi16(a, b[i]));
  }
  __m256i sum = acc[0];
  for (int i = 1; i < kInt16Chains; ++i) sum = _mm256_add_epi32(sum, acc[i]);
  return _mm256_extract_epi32(sum, 0);
}
#endif

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

double measured_int16_dot_rate() {
  static const double rate = [] {
#if KEEL_X86_KERNELS
    if (!cpu_features().avx2) return 0.0;
    constexpr int64_t kSteps = 4'000'000;
    ThreadPool& pool = ThreadPool::global();
    std::vector<int32_t> results(pool.size());
    const double seconds = shortest_of_three([&] {
      pool.parallel_for(static_cast<int64_t>(results.size()), [&](int64_t first, int64_t last) {
        for (int64_t part = first; part < last; ++part) results[static_cast<size_t>(part)] = int16_dot_chains(kSteps);
      });
    });
    // Each chain step: 16 int16 multiply-adds, 2 operations each.
    return 2.0 * 16.0 * kInt16Chains * static_cast<double>(kSteps) * static_cast<double>(results.size()) / seconds;
#else
    return 0.0;
#endif
  }();
  return rate;
}

}  // namespace keel::bench
