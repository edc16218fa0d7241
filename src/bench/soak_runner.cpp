#include "bench/soak_runner.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "bench/drift.h"
#include "bench/metrics_scrape.h"
#include "bench/prometheus_text.h"
#include "bench/soak_report.h"
#include "bench/stop_signal.h"
#include "bench/units.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The server's metrics now, or an empty snapshot when it has none to give
// (a server without /metrics still gets its client-side series).
MetricSnapshot scrape(const SoakConfig& config) { return scrape_metrics(config.endpoint, config.metrics_path); }

void print_window(const SoakWindow& w) {
  std::printf("[%s] ok %.0f failed %.0f  ttft p50 %.1f ms  itl p50 %.1f ms  e2e p50 %.1f ms  rss %.1f MiB  %.1f tok/s\n",
              format_duration(w.end_s).c_str(), w.get("requests_completed"), w.get("requests_failed"),
              w.get("ttft_p50_ms"), w.get("itl_p50_ms"), w.get("e2e_p50_ms"), w.get("rss_bytes") / (1 << 20),
              w.get("output_token_throughput"));
  std::fflush(stdout);
}

SoakVerdict judge(const SoakConfig& config, const std::vector<SoakWindow>& windows,
                  const std::vector<SeriesDrift>& drifts) {
  SoakVerdict verdict;
  const auto fail = [&verdict](std::string reason) {
    verdict.passed = false;
    verdict.reasons.push_back(std::move(reason));
  };
  if (windows.empty()) fail("the soak ended before its first window");
  double failed = 0, completed = 0;
  for (const auto& w : windows) {
    failed += w.get("requests_failed");
    completed += w.get("requests_completed");
  }
  if (!windows.empty() && completed == 0) fail("no request completed");
  if (failed > 0 && !config.allow_failures) fail(std::to_string(static_cast<long long>(failed)) + " request(s) failed");
  // The step loop may allocate while it warms up, never after.
  double at_warmup = NAN, at_end = NAN;
  for (const auto& w : windows) {
    const double count = w.get("step_loop_allocations_total");
    if (std::isnan(count)) continue;
    if (w.end_s <= config.warmup_s || std::isnan(at_warmup)) at_warmup = count;
    at_end = count;
  }
  if (!std::isnan(at_warmup) && at_end > at_warmup)
    fail(std::to_string(static_cast<long long>(at_end - at_warmup)) + " step-loop allocation(s) after warm-up");
  for (const auto& d : drifts)
    if (d.exceeded) {
      char line[200];
      std::snprintf(line, sizeof line, "%s drifts %+.2f ± %.2f %%/h, beyond %.1f %%/h", d.series.c_str(),
                    d.drift_percent_per_hour, d.half_width_percent_per_hour, d.threshold_percent_per_hour);
      fail(line);
    }
  return verdict;
}

// One line of failures.jsonl: when the request was sent and ended (seconds
// since the soak began), what failed and the server's words.
std::string failure_line(const RequestRecord& record) {
  return nlohmann::json{{"sent_s", record.start_s},
                        {"ended_s", record.start_s + record.e2e_s},
                        {"failure", record.failure},
                        {"http_status", record.http_status},
                        {"detail", record.failure_detail}}
      .dump();
}

}  // namespace

int run_soak(const SoakConfig& config) {
  auto workload = make_workload(config.workload);
  if (!workload.ok()) {
    std::fprintf(stderr, "keel: error: %s\n", workload.error().message.c_str());
    return 1;
  }
  const std::atomic<bool>& interrupted = stop_requested_by_signal();
  std::atomic<bool> stop_load{false};
  std::mutex mutex;
  std::vector<RequestRecord> window_records;  // finished since the last window closed
  // Every failed request, as it ends (a soak cut short keeps what it saw):
  // one JSON object per line with its time, category, status and message.
  std::error_code dir_error;
  std::filesystem::create_directories(config.output_dir, dir_error);
  std::ofstream failure_log(std::filesystem::path(config.output_dir) / "failures.jsonl", std::ios::trunc);
  const auto start = Clock::now();
  std::thread load([&] {
    uint64_t failures_logged = 0;
    run_load(config.endpoint, **workload, config.shape, start, stop_load, [&](const RequestRecord& record) {
      // Requests the soak's own end cut off belong to no window and failed nothing.
      if (stop_load.load()) return;
      // The first failures say what went wrong on stderr; failures.jsonl has them all.
      if (!record.ok && failures_logged++ < 3)
        std::fprintf(stderr, "request failed (%s): %s\n", record.failure.c_str(), record.failure_detail.c_str());
      std::lock_guard lock(mutex);
      if (!record.ok) failure_log << failure_line(record) << std::endl;  // flushed: the file is read while the soak runs
      window_records.push_back(record);
    });
  });

  std::vector<SoakWindow> windows;
  MetricSnapshot previous = scrape(config);
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.interval_s));
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.shape.duration_s));
  for (auto window_end = start + interval; window_end <= end; window_end += interval) {
    while (Clock::now() < window_end && !interrupted.load())
      std::this_thread::sleep_for(std::min<Clock::duration>(window_end - Clock::now(), std::chrono::milliseconds(100)));
    if (interrupted.load()) break;
    std::vector<RequestRecord> finished;
    {
      std::lock_guard lock(mutex);
      finished.swap(window_records);
    }
    MetricSnapshot metrics = scrape(config);
    const double end_s = std::chrono::duration<double>(window_end - start).count();
    windows.push_back(make_soak_window(end_s, config.interval_s, finished, metrics, previous));
    previous = std::move(metrics);
    print_window(windows.back());
  }
  stop_load.store(true);  // what is still in flight belongs to no window
  load.join();
  if (interrupted.load()) std::fprintf(stderr, "interrupted; reporting the %zu windows recorded\n", windows.size());

  const auto drifts = analyse_drift(windows, config.warmup_s, config.max_drift_percent_per_hour);
  const SoakVerdict verdict = judge(config, windows, drifts);
  std::fputs(format_drift_table(drifts).c_str(), stdout);
  const Status written = write_soak_files(config.output_dir, config.described, windows, drifts, verdict, config.warmup_s);
  if (!written.ok()) {
    std::fprintf(stderr, "keel: error: %s\n", written.error().message.c_str());
    return 1;
  }
  std::printf("wrote %s/soak.csv, soak.json, soak.svg, failures.jsonl\n", config.output_dir.c_str());
  for (const auto& reason : verdict.reasons) std::printf("FAIL: %s\n", reason.c_str());
  std::printf("%s\n", verdict.passed ? "soak passed" : "soak failed");
  return verdict.passed ? 0 : 1;
}

}  // namespace keel::bench
