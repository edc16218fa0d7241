#include "bench/soak_window.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bench/statistics.h"
#include "core/check.h"

namespace keel::bench {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

double or_unknown(std::optional<double> value) { return value.value_or(kUnknown); }

double percentile_ms(std::vector<double> seconds, double q) {
  if (seconds.empty()) return kUnknown;
  std::sort(seconds.begin(), seconds.end());
  return percentile_of_sorted(seconds, q) * 1e3;
}

// Tokens found in the prefix cache over tokens looked up, within the window.
double window_hit_rate(const MetricSnapshot& now, const MetricSnapshot& before) {
  const auto hits = now.value("keel:prefix_cache_hits_total");
  const auto queries = now.value("keel:prefix_cache_queries_total");
  if (!hits || !queries) return kUnknown;
  const double new_queries = *queries - before.value("keel:prefix_cache_queries_total").value_or(0);
  const double new_hits = *hits - before.value("keel:prefix_cache_hits_total").value_or(0);
  return new_queries > 0 ? new_hits / new_queries : kUnknown;
}

}  // namespace

const std::vector<std::string>& soak_series_names() {
  static const std::vector<std::string> names = {
      "requests_completed", "requests_failed",  "request_throughput", "output_token_throughput",
      "ttft_p50_ms",        "ttft_p99_ms",      "itl_p50_ms",         "itl_p99_ms",
      "e2e_p50_ms",         "e2e_p99_ms",       "rss_bytes",          "anon_swap_bytes",
      "kv_blocks_free",     "kv_blocks_used",   "kv_blocks_cached",   "kv_fragmentation",
      "prefix_hit_rate",    "queue_length",     "step_loop_allocations_total"};
  return names;
}

double SoakWindow::get(std::string_view series) const {
  const auto& names = soak_series_names();
  const auto found = std::find(names.begin(), names.end(), series);
  KEEL_CHECK(found != names.end(), "unknown soak series");
  return values[static_cast<size_t>(found - names.begin())];
}

SoakWindow make_soak_window(double end_s, double length_s, const std::vector<RequestRecord>& finished,
                            const MetricSnapshot& metrics, const MetricSnapshot& previous) {
  std::vector<double> ttft, itl, e2e;
  double completed = 0, failed = 0, output_tokens = 0;
  for (const auto& record : finished) {
    if (!record.ok) {
      ++failed;
      continue;
    }
    ++completed;
    output_tokens += static_cast<double>(record.output_tokens);
    ttft.push_back(record.ttft_s);
    e2e.push_back(record.e2e_s);
    itl.insert(itl.end(), record.itl_s.begin(), record.itl_s.end());
  }
  const double length = length_s > 0 ? length_s : 1;
  SoakWindow window;
  window.end_s = end_s;
  window.values = {
      completed,
      failed,
      completed / length,
      output_tokens / length,
      percentile_ms(ttft, 50),
      percentile_ms(ttft, 99),
      percentile_ms(itl, 50),
      percentile_ms(itl, 99),
      percentile_ms(e2e, 50),
      percentile_ms(e2e, 99),
      or_unknown(metrics.value("process_resident_memory_bytes")),
      or_unknown(metrics.value("keel:process_anon_swap_bytes")),
      or_unknown(metrics.value("keel:kv_blocks", {{"state", "free"}})),
      or_unknown(metrics.value("keel:kv_blocks", {{"state", "used"}})),
      or_unknown(metrics.value("keel:kv_blocks", {{"state", "cached"}})),
      or_unknown(metrics.value("keel:kv_cache_fragmentation_ratio")),
      window_hit_rate(metrics, previous),
      or_unknown(metrics.value("keel:num_requests_waiting")),
      or_unknown(metrics.value("keel:step_loop_allocations_total")),
  };
  KEEL_CHECK(window.values.size() == soak_series_names().size(), "a soak window needs every series");
  return window;
}

}  // namespace keel::bench
