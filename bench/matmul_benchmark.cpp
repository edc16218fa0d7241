// The matmul kernel of the CPU backend on a decoder-sized weight in each
// weight type. Decode (few tokens) is bound by reading the weight: its
// figure is weight bytes per second against the measured read bandwidth.
// Prefill (many tokens) is bound by arithmetic: its figure is FLOP/s.
// The block types Q8_0/Q4_0/Q4_1/Q5_0 run twice: /exact is the float path
// (--exact-kernels), /int16 the default integer-dot path.
//   build/release/bench/keel_micro_bench --benchmark_filter='Q8_0|Q4_0' --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "core/dequantize.h"
#include "core/dtype.h"
#include "core/tensor.h"
#include "bench/machine_ceilings.h"

namespace keel::bench {
namespace {

constexpr int64_t kIn = 4096, kOut = 4096;  // one attention projection of a 7-8B model

// A [kOut, kIn] weight of `type`, quantized from seeded random floats.
struct Weight {
  std::vector<std::byte> bytes;
  TensorView view;
};

Weight make_weight(DType type) {
  Weight w;
  const size_t row_bytes = dtype_row_bytes(type, kIn);
  w.bytes.resize(row_bytes * kOut);
  std::mt19937 random(1);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(kIn);
  for (int64_t r = 0; r < kOut; ++r) {
    for (float& v : row) v = normal(random);
    std::byte* out = w.bytes.data() + static_cast<size_t>(r) * row_bytes;
    if (quantize_row(type, row.data(), out, kIn)) continue;
    // keel does not encode the K-quants: random bytes decode at the same
    // speed, once the f16 scales are made finite.
    for (size_t i = 0; i < row_bytes; ++i) out[i] = static_cast<std::byte>(random() & 0xFF);
    const DTypeInfo& info = dtype_info(type);
    const std::vector<size_t> scale_offsets =
        type == DType::Q6_K ? std::vector<size_t>{208} : std::vector<size_t>{0, 2};  // Q4_K: d, dmin
    const uint16_t small_scale = 0x1800;  // 2^-9
    for (size_t block = 0; block < row_bytes / static_cast<size_t>(info.block_bytes); ++block)
      for (const size_t offset : scale_offsets)
        std::memcpy(out + block * static_cast<size_t>(info.block_bytes) + offset, &small_scale, 2);
  }
  w.view.dtype = type;
  w.view.rank = 2;
  w.view.shape = {kOut, kIn, 0, 0};
  w.view.data = w.bytes.data();
  w.view.nbytes = w.bytes.size();
  return w;
}

// `exact`: float products on exactly decoded weights (--exact-kernels);
// otherwise the default kernels, which for Q8_0, Q4_0, Q4_1 and Q5_0 are
// the integer dots on int16-quantized activations.
void matmul(benchmark::State& state, DType type, bool exact) {
  const int64_t tokens = state.range(0);
  const Weight weight = make_weight(type);
  auto backend = make_cpu_backend(CpuOptions{.exact_kernels = exact});
  if (!backend->reserve_matmul_input(tokens, kIn).ok()) {
    state.SkipWithError("could not reserve the quantized input");
    return;
  }
  std::vector<float> x(static_cast<size_t>(tokens * kIn)), y(static_cast<size_t>(tokens * kOut));
  std::mt19937 random(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : x) v = normal(random);  // varied values: the quantizer's work is real
  for (auto _ : state) {
    backend->matmul(x.data(), tokens, weight.view, nullptr, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  const double runs = static_cast<double>(state.iterations());
  state.counters["weight_bytes_per_s"] = benchmark::Counter(runs * static_cast<double>(weight.bytes.size()),
                                                            benchmark::Counter::kIsRate);
  state.counters["flop_per_s"] = benchmark::Counter(runs * 2.0 * static_cast<double>(tokens * kIn * kOut),
                                                    benchmark::Counter::kIsRate);
  // The ceilings: decode rows approach the first, prefill rows the float or
  // (for the integer path) the int16 multiply-add rate.
  state.counters["read_ceiling_bytes_per_s"] = measured_read_bandwidth();
  state.counters["flop_ceiling_per_s"] = measured_fma_rate();
  state.counters["int16_op_ceiling_per_s"] = measured_int16_dot_rate();
}

void register_all() {
  for (const DType type : {DType::F32, DType::F16, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q4_K,
                           DType::Q6_K}) {
    const bool has_integer_path = type == DType::Q8_0 || type == DType::Q4_0 || type == DType::Q4_1 || type == DType::Q5_0;
    for (const bool exact : has_integer_path ? std::vector<bool>{true, false} : std::vector<bool>{false}) {
      const std::string name = "matmul_4096x4096/" + std::string(dtype_info(type).name) +
                               (has_integer_path ? (exact ? "/exact" : "/int16") : "");
      benchmark::RegisterBenchmark(name.c_str(), [type, exact](benchmark::State& s) { matmul(s, type, exact); })
          ->Arg(1)->Arg(8)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

const int registered = (register_all(), 0);

}  // namespace
}  // namespace keel::bench
