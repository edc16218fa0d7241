#include "bench/terminal_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "bench/units.h"

namespace keel::bench {
namespace {

std::string row(const char* label, const std::string& value) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "%-34s %s\n", label, value.c_str());
  return buffer;
}

std::string number(double value, const char* format = "%.2f") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string latency_block(const char* name, const Summary& s) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, "%-8s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, s.mean * 1e3,
                s.median * 1e3, s.p90 * 1e3, s.p95 * 1e3, s.p99 * 1e3, s.max * 1e3);
  return buffer;
}

}  // namespace

std::string format_summary_table(const RunSummary& summary) {
  std::string out = "============ Serving Benchmark Result ============\n";
  out += row("Successful requests:", std::to_string(summary.completed));
  out += row("Failed requests:", std::to_string(summary.failed));
  for (const auto& [category, count] : summary.failures) out += row(("  " + category + ":").c_str(), std::to_string(count));
  out += row("Benchmark duration (s):", number(summary.duration_s));
  out += row("Total input tokens:", std::to_string(summary.input_tokens));
  out += row("Total generated tokens:", std::to_string(summary.output_tokens));
  out += row("Cached prompt tokens (server):", std::to_string(summary.cached_tokens));
  out += row("Request throughput (req/s):", number(summary.request_throughput));
  out += row("Input token throughput (tok/s):", number(summary.input_throughput));
  out += row("Output token throughput (tok/s):", number(summary.output_throughput));
  if (summary.goodput) out += row("Goodput under SLO (req/s):", number(*summary.goodput));
  out += "---------------------------------------------------\n";
  out += "(ms)           mean     median        P90        P95        P99        max\n";
  out += latency_block("TTFT", summary.ttft_s);
  out += latency_block("TPOT", summary.tpot_s);
  out += latency_block("ITL", summary.itl_s);
  out += latency_block("E2E", summary.e2e_s);
  out += "===================================================\n";
  return out;
}

ProgressLine::ProgressLine(uint64_t total_requests, double duration_s)
    : total_(total_requests), duration_s_(duration_s), enabled_(::isatty(STDERR_FILENO) != 0) {}

void ProgressLine::update(uint64_t done, uint64_t failed, double elapsed_s) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200) && done != total_) return;
  last_draw_ = now;
  double fraction = 0;
  if (total_ > 0) fraction = static_cast<double>(done) / static_cast<double>(total_);
  if (duration_s_ > 0) fraction = std::max(fraction, elapsed_s / duration_s_);
  fraction = std::clamp(fraction, 0.0, 1.0);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r[%s] %3.0f%%  %llu done, %llu failed, %s ", bar.c_str(), fraction * 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(failed),
               format_duration(elapsed_s).c_str());
  std::fflush(stderr);
}

void ProgressLine::finish() {
  if (enabled_) std::fprintf(stderr, "\n");
}

}  // namespace keel::bench
