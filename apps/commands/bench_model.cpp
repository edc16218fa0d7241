// keel bench model: how fast this machine runs a model, prompt (pp) and
// decode (tg), through the serving engine's own step; laid out as
// llama-bench's table so that the two can be read side by side. The
// measuring lives in src/bench/model_benchmark; this file turns flags into
// its options, and the results into the table and the JSON file.
#include "commands/commands.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "backend/cpu/thread_pool.h"
#include "bench/machine_ceilings.h"
#include "bench/model_benchmark.h"
#include "bench/model_benchmark_report.h"
#include "bench/weight_traffic.h"
#include "engine/model_files.h"
#include "engine_flags.h"

namespace keel::cli {
namespace {

struct BenchModelOptions {
  std::string model, output;
  bench::ModelBenchmarkOptions benchmark;
  EngineFlags engine;  // --device, --kv-cache-dtype, --threads
};

// The read ceiling only means something for a model whose weights the CPU
// reads; on a GPU the figure would be the wrong machine's.
bool runs_on_the_cpu(std::string_view device) { return device == "cpu" || device == "reference"; }

int64_t tensor_bytes(const Weights& weights) {
  int64_t bytes = 0;
  for (const auto& [name, view] : weights.tensors()) bytes += static_cast<int64_t>(view.nbytes);
  return bytes;
}

int run_bench_model(BenchModelOptions& options) {
  const auto path = options.model.empty() ? default_model_path() : std::filesystem::path(options.model);
  auto engine_options = to_engine_options(options.engine);
  if (!engine_options.ok()) return fail(engine_options.error());
  options.benchmark.engine = *engine_options;
  auto model = load_model(path, to_load_options(options.engine));
  if (!model.ok()) return fail(model.error());
  if (Status valid = bench::validate(options.benchmark, (*model)->config()); !valid.ok()) return fail(valid.error());
  auto files = load_model_files(**model);
  if (!files.ok()) return fail(files.error());

  auto results = bench::run_model_benchmark(**model, files->tokenizer, options.benchmark);
  if (!results.ok()) return fail(results.error());

  bench::ModelBenchmarkReport report;
  report.model = path.filename().string();
  report.model_bytes = tensor_bytes((*model)->weights());
  report.parameters = (*model)->weights().parameter_count();
  report.device = std::string((*model)->backend().name());
  report.threads = static_cast<int32_t>(ThreadPool::global().size());
  report.results = std::move(results).value();
  report.weight_bytes_per_token = bench::weight_bytes_per_token((*model)->weights());
  // After the tests, so that its 1 GiB buffer does not sit in memory beside them.
  if (runs_on_the_cpu(report.device)) report.read_ceiling_bytes_per_s = bench::measured_read_bandwidth();

  std::fputs(bench::format_model_benchmark(report).c_str(), stdout);
  if (!options.output.empty()) {
    std::ofstream out(options.output);
    out << bench::model_benchmark_json(report).dump(2) << "\n";
    if (!out) return fail("cannot write " + options.output);
  }
  return 0;
}

}  // namespace

Command add_bench_model_command(CLI::App* bench_app) {
  auto options = std::make_shared<BenchModelOptions>();
  auto& b = options->benchmark;
  CLI::App* app = bench_app->add_subcommand(
      "model", "Prompt (pp) and decode (tg) speed of a model on this machine, as llama-bench measures them");
  add_model_option(app, options->model);
  app->add_option("-p,--n-prompt", b.prompt_tokens, "pp: tokens of one prompt, computed in one step (0: skip)")
      ->capture_default_str();
  app->add_option("-n,--n-gen", b.generated_tokens, "tg: tokens decoded one step at a time (0: skip)")
      ->capture_default_str();
  app->add_option("-r,--repetitions", b.repetitions, "timed runs of each test")->capture_default_str();
  app->add_option("--warmup", b.warmups, "untimed runs of each test first")->capture_default_str();
  app->add_option("-o,--output", options->output, "write the results as JSON here");
  add_device_flags(app, options->engine, "f16");
  return {app, [options]() -> int { return run_bench_model(*options); }};
}

}  // namespace keel::cli
