// The CUDA backend measured against the GPU's own ceiling.
//
//   keel_cuda_bench [--exact-kernels 0|1] matmul of an FFN-sized weight in every
//                                        dtype, fast kernels then exact ones (or
//                                        the one mode named): 1,
//                                        8 and 64 tokens (bound by reading the
//                                        weight: GB/s) and 512 tokens (GFLOP/s)
//   keel_cuda_bench --model M [-n 128] [--exact-kernels 1] [--batch 1,8,64]
//                   [--prompt 512,2048]  prefill (pp512 unless --prompt names
//                                        lengths; tokens/s and TFLOP/s next to
//                                        the bf16 GEMM ceiling) and decode of one
//                                        sequence through ModelRunner: tokens/s,
//                                        weight bytes per token and the implied
//                                        read bandwidth;
//                                        --batch: the aggregate decode rate of
//                                        that many sequences stepping together
//                                        (a server's continuous batch once every
//                                        prompt is in), one figure per count
//
// The kernel figures rotate over copies of the weight that add up to more
// than the GPU's L2 cache, so that each call reads device memory.
// Each figure is the median of repeated timed runs after a warm-up; timing
// brackets the queued work with synchronize(), so it includes launch gaps.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/device_ceilings.h"
#include "backend/forward_batch_builder.h"
#include "backend/registry.h"
#include "bench/weight_traffic.h"
#include "core/dequantize.h"
#include "core/half.h"
#include "model/model.h"
#include "model/model_runner.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Seconds per call of `body`, median of `reps` timed batches of `calls`.
template <class Body>
double time_calls(Backend& backend, int calls, int reps, Body body) {
  body();
  (void)backend.synchronize();
  std::vector<double> seconds;
  for (int r = 0; r < reps; ++r) {
    const auto start = Clock::now();
    for (int c = 0; c < calls; ++c) body();
    if (!backend.synchronize().ok()) return NAN;
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count() / calls);
  }
  return median(seconds);
}

// A [out, in] weight of `type` from random values (random blocks with
// finite scales for the K-quants, which keel does not encode).
std::vector<std::byte> random_weight(DType type, int64_t out, int64_t in) {
  const size_t row_bytes = dtype_row_bytes(type, in);
  std::vector<std::byte> bytes(static_cast<size_t>(out) * row_bytes);
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> row(static_cast<size_t>(in));
  for (int64_t r = 0; r < out; ++r) {
    for (float& v : row) v = normal(rng);
    std::byte* dst = bytes.data() + static_cast<size_t>(r) * row_bytes;
    if (quantize_row(type, row.data(), dst, in)) continue;
    for (size_t i = 0; i < row_bytes; ++i) dst[i] = static_cast<std::byte>(byte(rng));
    const DTypeInfo& info = dtype_info(type);
    const std::vector<int> scales = type == DType::Q6_K ? std::vector<int>{208} : std::vector<int>{0, 2};
    for (int64_t b = 0; b < in / info.block_elems; ++b)
      for (int offset : scales) {
        const uint16_t bits = f32_to_f16(1.0f / 256.0f);
        std::memcpy(dst + b * info.block_bytes + offset, &bits, 2);
      }
  }
  return bytes;
}

int kernels(bool exact_kernels, double ceiling_gbps) {
  auto made = create_backend("cuda", BackendOptions{.exact_kernels = exact_kernels});
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.error().message.c_str());
    return 1;
  }
  Backend& backend = **made;
  constexpr int64_t kIn = 4096, kOut = 14336;  // the gate projection of an 8B model
  constexpr double kRotatedBytes = 512.0 * (1 << 20);
  if (!backend.reserve_matmul_input(512, kIn).ok()) return 1;
  std::printf("%s kernels\n%-6s %10s %10s %11s %8s %14s\n", exact_kernels ? "exact" : "fast", "dtype", "1 tok GB/s",
              "8 tok GB/s", "64 tok GB/s", "of ceil", "512 tok GFLOP/s");
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                     DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
    const std::vector<std::byte> host = random_weight(type, kOut, kIn);
    const int copies = static_cast<int>(std::ceil(kRotatedBytes / static_cast<double>(host.size())));
    std::vector<TensorView> weights;
    for (int c = 0; c < copies; ++c) {
      TensorView w;
      w.dtype = type;
      w.rank = 2;
      w.shape = {kOut, kIn, 0, 0};
      w.nbytes = host.size();
      w.data = host.data();
      w.data = backend.make_matrix_resident(w).value();
      weights.push_back(w);
    }
    DeviceBuffer x = backend.allocate(512 * kIn * sizeof(float)).value();
    DeviceBuffer y = backend.allocate(512 * kOut * sizeof(float)).value();
    std::vector<float> xs(512 * kIn);
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (float& v : xs) v = normal(rng);
    backend.copy_to_device(xs.data(), x.data(), xs.size() * sizeof(float));
    size_t call = 0;
    auto run = [&](int64_t tokens) {
      return [&, tokens] { backend.matmul(x.as<float>(), tokens, weights[call++ % weights.size()], nullptr, y.as<float>()); };
    };
    const double bytes = static_cast<double>(host.size());
    const double one = bytes / time_calls(backend, 50, 9, run(1)) / 1e9;
    const double eight = bytes / time_calls(backend, 50, 9, run(8)) / 1e9;
    const double sixty_four = bytes / time_calls(backend, 20, 9, run(64)) / 1e9;
    const double flops = 2.0 * 512 * kIn * kOut / time_calls(backend, 5, 5, run(512)) / 1e9;
    std::printf("%-6s %10.0f %10.0f %11.0f %7.0f%% %14.0f\n", std::string(dtype_info(type).name).c_str(), one, eight,
                sixty_four, 100.0 * one / ceiling_gbps, flops);
  }
  return 0;
}

// Aggregate decode of `n_seqs` sequences stepping together: each has a
// 16-token prompt (prefilled together), then `steps` steps of one new token
// per sequence, every row wanting logits, as a server's continuous batch
// does once every prompt is in. Prints tokens/s over all sequences and the
// step time, median of 3. What comes back each step, as the engine has it:
// each row's argmax alone (a step of greedy rows), or the rows of logits
// into the backend's allocate_host memory (page-locked), or into a plain
// vector (what the engine used before either).
enum class LogitsBack { kArgmax, kPinnedRows, kPageableRows };
constexpr const char* kLogitsBackNames[] = {"argmax", "logits rows to page-locked memory",
                                            "logits rows to pageable memory"};

int batched_decode(Model& m, int n_seqs, int steps, LogitsBack back) {
  const bool pageable = back == LogitsBack::kPageableRows;
  const ModelConfig& config = m.config();
  constexpr int32_t kBlock = 16, kPrompt = 16;
  RunnerLimits limits;
  limits.max_seqs = n_seqs;
  limits.max_batch_tokens = std::max(512, n_seqs * kPrompt);
  limits.max_logit_rows = n_seqs;
  limits.max_blocks_per_seq = (kPrompt + steps + 1 + kBlock - 1) / kBlock;
  limits.kv_blocks = n_seqs * limits.max_blocks_per_seq;
  limits.kv_block_size = kBlock;
  limits.kv_dtype = DType::F16;
  auto made = ModelRunner::create(m, limits);
  if (!made.ok()) {
    std::fprintf(stderr, "batch %d: %s\n", n_seqs, made.error().message.c_str());
    return 1;
  }
  ModelRunner& runner = **made;
  // Sequence s owns blocks [s * width, (s + 1) * width).
  const int32_t width = limits.max_blocks_per_seq;
  std::vector<int32_t> tables(static_cast<size_t>(n_seqs) * width);
  std::iota(tables.begin(), tables.end(), 0);
  auto table = [&](int s) { return std::span<const int32_t>(tables).subspan(static_cast<size_t>(s) * width, width); };
  ForwardBatchBuilder builder({limits.max_batch_tokens, n_seqs, width, kBlock});
  const size_t logit_floats = static_cast<size_t>(n_seqs) * static_cast<size_t>(config.vocab);
  std::vector<float> pageable_logits(pageable ? logit_floats : 0);
  DeviceBuffer pinned_logits;
  if (!pageable) pinned_logits = m.backend().allocate_host(logit_floats * sizeof(float)).value();
  const std::span<float> logits =
      pageable ? std::span<float>(pageable_logits) : std::span<float>(pinned_logits.as<float>(), logit_floats);
  std::vector<RowArgmax> argmax(back == LogitsBack::kArgmax ? static_cast<size_t>(n_seqs) : 0);
  std::vector<int32_t> prompts(static_cast<size_t>(n_seqs) * kPrompt), next(static_cast<size_t>(n_seqs));
  for (size_t i = 0; i < prompts.size(); ++i) prompts[i] = static_cast<int32_t>((i * 31) % config.vocab);
  std::vector<double> rates, step_ms;
  for (int r = 0; r < 3; ++r) {
    builder.clear();
    for (int s = 0; s < n_seqs; ++s)
      builder.add_sequence(std::span(prompts).subspan(static_cast<size_t>(s) * kPrompt, kPrompt), 0, table(s),
                           LogitRows::kLast);
    if (!runner.forward(builder.finish(), logits).ok()) return 1;
    const auto start = Clock::now();
    for (int i = 0; i < steps; ++i) {
      builder.clear();
      for (int s = 0; s < n_seqs; ++s) {
        next[s] = static_cast<int32_t>((i * 7919 + s * 104729) % config.vocab);
        builder.add_sequence(std::span(&next[s], 1), kPrompt + i, table(s), LogitRows::kLast);
      }
      if (!runner.forward(builder.finish(), logits, argmax).ok()) return 1;
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    rates.push_back(double{1.0} * n_seqs * steps / seconds);
    step_ms.push_back(1e3 * seconds / steps);
  }
  std::printf("batch %d, %s back: %.0f t/s aggregate (min %.0f max %.0f), step %.2f ms\n", n_seqs,
              kLogitsBackNames[static_cast<int>(back)],
              median(rates), *std::min_element(rates.begin(), rates.end()), *std::max_element(rates.begin(), rates.end()),
              median(step_ms));
  return 0;
}

// The flops of one forward over a fresh prompt of n tokens that keeps the
// last row's logits: every layer's projections for each token, the causal
// attention's two products (n(n+1)/2 query-key pairs a head, head_dim
// multiply-adds each), and one row of the output matrix.
double prompt_flops(const ModelConfig& c, int64_t n) {
  const double q = static_cast<double>(c.heads * c.head_dim), kv = static_cast<double>(c.kv_heads * c.head_dim);
  const double h = static_cast<double>(c.hidden), f = static_cast<double>(c.ffn);
  const double layer_params = h * q + 2 * h * kv + q * h + 3 * h * f;
  const double attention = 2.0 * static_cast<double>(c.heads * c.head_dim) * static_cast<double>(n) * (n + 1);
  return static_cast<double>(c.layers) * (2.0 * static_cast<double>(n) * layer_params + attention) +
         2.0 * h * static_cast<double>(c.vocab);
}

int decode(const std::string& path, int steps, bool exact_kernels, const std::vector<int>& batches,
           const std::vector<int>& prompts, const CudaDeviceCeilings& ceilings) {
  const double ceiling_gbps = ceilings.copy_gbps;
  LoadOptions options;
  options.device = "cuda";
  options.exact_kernels = exact_kernels;
  auto model = load_model(path, options);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.error().message.c_str());
    return 1;
  }
  Model& m = **model;
  const ModelConfig& config = m.config();
  constexpr int32_t kBlock = 16;
  const int32_t prompt = 16, context = prompt + steps + 1;
  const int longest_prompt = *std::max_element(prompts.begin(), prompts.end());
  RunnerLimits limits;
  limits.max_batch_tokens = longest_prompt;
  limits.max_seqs = 1;
  limits.max_logit_rows = 1;
  limits.max_blocks_per_seq = (std::max(context, longest_prompt) + kBlock - 1) / kBlock;
  limits.kv_blocks = limits.max_blocks_per_seq;
  limits.kv_block_size = kBlock;
  limits.kv_dtype = DType::F16;
  auto runner = ModelRunner::create(m, limits).value();
  std::vector<int32_t> table(static_cast<size_t>(limits.max_blocks_per_seq));
  std::iota(table.begin(), table.end(), 0);
  ForwardBatchBuilder builder({limits.max_batch_tokens, 1, limits.max_blocks_per_seq, kBlock});
  std::vector<float> logits(static_cast<size_t>(config.vocab));
  auto step = [&](std::span<const int32_t> tokens, int32_t first) {
    builder.clear();
    builder.add_sequence(tokens, first, table, LogitRows::kLast);
    return runner->forward(builder.finish(), logits);
  };
  std::printf("model %s (%s kernels)\n", path.c_str(), exact_kernels ? "exact" : "fast");
  // ppN: one prompt of N tokens in one forward.
  std::vector<int32_t> prompt_tokens(static_cast<size_t>(longest_prompt));
  for (size_t i = 0; i < prompt_tokens.size(); ++i) prompt_tokens[i] = static_cast<int32_t>(i % config.vocab);
  for (int n : prompts) {
    std::vector<double> pp;
    for (int r = 0; r < 5; ++r) {
      const auto start = Clock::now();
      if (!step(std::span(prompt_tokens).first(static_cast<size_t>(n)), 0).ok()) return 1;
      pp.push_back(n / std::chrono::duration<double>(Clock::now() - start).count());
    }
    const double rate = median(pp), tflops = prompt_flops(config, n) * rate / n / 1e12;
    std::printf("pp%d %.0f t/s (min %.0f max %.0f) = %.0f TFLOP/s, %.0f%% of the %.0f bf16 TFLOP/s GEMM ceiling\n", n,
                rate, *std::min_element(pp.begin(), pp.end()), *std::max_element(pp.begin(), pp.end()), tflops,
                100.0 * tflops / ceilings.bf16_tflops, ceilings.bf16_tflops);
  }
  // tg: `steps` one-token forwards after a 16-token prompt.
  std::vector<double> tg;
  for (int r = 0; r < 5; ++r) {
    if (!step(std::span(prompt_tokens).first(prompt), 0).ok()) return 1;
    const auto start = Clock::now();
    for (int i = 0; i < steps; ++i) {
      const int32_t token = static_cast<int32_t>((i * 7919) % config.vocab);
      if (!step(std::span(&token, 1), prompt + i).ok()) return 1;
    }
    tg.push_back(steps / std::chrono::duration<double>(Clock::now() - start).count());
  }
  const auto bytes = static_cast<double>(weight_bytes_per_token(m.weights()));
  const double tg_median = median(tg);
  std::printf("tg%d %.1f t/s (min %.1f max %.1f)\n", steps, tg_median, *std::min_element(tg.begin(), tg.end()),
              *std::max_element(tg.begin(), tg.end()));
  std::printf("weight bytes per token %.3f GB, implied %.0f GB/s = %.0f%% of the %.0f GB/s copy ceiling\n",
              bytes / 1e9, bytes * tg_median / 1e9, 100.0 * bytes * tg_median / 1e9 / ceiling_gbps, ceiling_gbps);
  runner.reset();  // its KV pool goes before the batched runners reserve theirs
  for (int n_seqs : batches)
    if (const int failed = batched_decode(m, n_seqs, steps, LogitsBack::kArgmax); failed != 0) return failed;
  if (batches.empty()) return 0;
  if (const int failed = batched_decode(m, batches.back(), steps, LogitsBack::kPinnedRows); failed != 0) return failed;
  return batched_decode(m, batches.back(), steps, LogitsBack::kPageableRows);
  return 0;
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) {
  using namespace keel;
  const CudaDeviceCeilings ceilings = measure_cuda_ceilings();
  if (ceilings.copy_gbps == 0) {
    std::fprintf(stderr, "no GPU present\n");
    return 1;
  }
  std::printf("%s, %.0f GiB; device copy %.0f GB/s (read + write); bf16 GEMM %.0f TFLOP/s\n", ceilings.name.c_str(),
              ceilings.memory_gib, ceilings.copy_gbps, ceilings.bf16_tflops);
  std::string model;
  int steps = 128;
  bool exact_kernels = false, mode_given = false;
  std::vector<int> batches, prompts;
  // "1,8,64" -> {1, 8, 64}, each within [1, most]; false on anything else.
  const auto parse_counts = [](const char* text, int most, std::vector<int>& out) {
    for (const char* p = text; *p != '\0';) {
      char* end = nullptr;
      const long n = std::strtol(p, &end, 10);
      if (end == p || n < 1 || n > most || (*end != ',' && *end != '\0')) return false;
      out.push_back(static_cast<int>(n));
      p = *end == ',' ? end + 1 : end;
    }
    return !out.empty();
  };
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--model") == 0) model = argv[i + 1];
    if (std::strcmp(argv[i], "-n") == 0) steps = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--exact-kernels") == 0) {
      exact_kernels = std::atoi(argv[i + 1]) != 0;
      mode_given = true;
    }
    if (std::strcmp(argv[i], "--batch") == 0 && !parse_counts(argv[i + 1], 1024, batches)) {
      std::fprintf(stderr, "--batch takes sequence counts 1..1024 separated by commas, e.g. 1,8,64\n");
      return 2;
    }
    if (std::strcmp(argv[i], "--prompt") == 0 && !parse_counts(argv[i + 1], 16384, prompts)) {
      std::fprintf(stderr, "--prompt takes prompt lengths 1..16384 separated by commas, e.g. 512,2048\n");
      return 2;
    }
  }
  if (prompts.empty()) prompts.push_back(512);
  if (!model.empty()) return bench::decode(model, steps, exact_kernels, batches, prompts, ceilings);
  if (mode_given) return bench::kernels(exact_kernels, ceilings.copy_gbps);
  const int fast = bench::kernels(false, ceilings.copy_gbps);
  return fast != 0 ? fast : bench::kernels(true, ceilings.copy_gbps);
}
