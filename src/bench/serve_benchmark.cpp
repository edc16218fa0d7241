#include "bench/serve_benchmark.h"

#include <cstdio>
#include <mutex>
#include <vector>

#include "bench/result_file.h"
#include "bench/server_memory.h"
#include "bench/stop_signal.h"
#include "bench/terminal_report.h"

namespace keel::bench {

int run_serve_benchmark(const ServeBenchmarkConfig& config) {
  auto workload = make_workload(config.workload);
  if (!workload.ok()) {
    std::fprintf(stderr, "keel: error: %s\n", workload.error().message.c_str());
    return 1;
  }
  const std::atomic<bool>& stop = stop_requested_by_signal();
  // Its first scrape (before any request) comes before the clock starts.
  ServerMemorySampler memory_sampler(config.endpoint, config.metrics_path);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<RequestRecord> records;
  uint64_t failed = 0;
  ProgressLine progress(config.shape.num_requests, config.shape.duration_s);
  run_load(config.endpoint, **workload, config.shape, start, stop, [&](const RequestRecord& record) {
    records.push_back(record);
    if (!record.ok) {
      ++failed;
      // The first failures of each run are worth reading; later ones repeat.
      if (failed <= 3)
        std::fprintf(stderr, "\nrequest failed (%s): %s\n", record.failure.c_str(), record.failure_detail.c_str());
    }
    progress.update(records.size(), failed, elapsed());
  });
  const double duration = elapsed();
  progress.finish();
  const std::optional<ServerMemory> memory = memory_sampler.finish();
  if (stop.load()) std::fprintf(stderr, "stopped early; reporting what finished\n");

  const RunSummary summary = summarize_run(records, duration, config.slo);
  std::fputs(format_summary_table(summary).c_str(), stdout);
  if (memory)
    std::printf("server resident memory: %.1f MiB before, %.1f MiB peak, %.1f MiB after (%+.2f MiB)\n",
                memory->start_bytes / (1 << 20), memory->peak_bytes / (1 << 20), memory->final_bytes / (1 << 20),
                memory->growth_bytes() / (1 << 20));
  int status = summary.failed > 0 || summary.completed == 0 ? 1 : 0;
  if (!config.output_path.empty()) {
    nlohmann::json document = result_document(config.described, summary);
    if (memory) document["metrics"]["server_memory"] = server_memory_json(*memory);
    const Status written = write_json_file(config.output_path, document);
    if (!written.ok()) {
      std::fprintf(stderr, "keel: error: %s\n", written.error().message.c_str());
      status = 1;
    }
  }
  return status;
}

}  // namespace keel::bench
