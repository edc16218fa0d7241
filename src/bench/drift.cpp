#include "bench/drift.h"

#include <algorithm>
#include <cmath>

#include "bench/units.h"

namespace keel::bench {
namespace {

const std::map<std::string, std::vector<std::string>>& threshold_groups() {
  static const std::map<std::string, std::vector<std::string>> groups = {
      {"latency", {"ttft_p50_ms", "itl_p50_ms", "e2e_p50_ms"}},
      {"rss", {"rss_bytes", "anon_swap_bytes"}},
      {"memory", {"rss_bytes", "anon_swap_bytes"}},
      {"throughput", {"output_token_throughput"}},
  };
  return groups;
}

bool falls_are_bad(const std::string& series) { return series.ends_with("throughput") || series == "requests_completed"; }

}  // namespace

Result<std::map<std::string, double>> parse_drift_thresholds(std::string_view text) {
  auto pairs = parse_key_values(text);
  if (!pairs.ok()) return Error{"--max-drift: " + pairs.error().message};
  std::map<std::string, double> thresholds;
  const auto& names = soak_series_names();
  for (const auto& [key, value] : *pairs) {
    auto percent = parse_percent(value);
    if (!percent.ok()) return Error{"--max-drift " + key + ": " + percent.error().message};
    if (const auto group = threshold_groups().find(key); group != threshold_groups().end()) {
      for (const auto& series : group->second) thresholds[series] = *percent;
    } else if (std::find(names.begin(), names.end(), key) != names.end()) {
      thresholds[key] = *percent;
    } else {
      return Error{"--max-drift: unknown series '" + key + "' (latency, rss, throughput or a CSV column)"};
    }
  }
  return thresholds;
}

std::vector<SeriesDrift> analyse_drift(const std::vector<SoakWindow>& windows, double warmup_s,
                                       const std::map<std::string, double>& thresholds_percent_per_hour) {
  std::vector<SeriesDrift> drifts;
  for (const auto& name : soak_series_names()) {
    SeriesDrift drift;
    drift.series = name;
    std::vector<double> hours, values;
    for (const auto& window : windows) {
      const double value = window.get(name);
      if (window.end_s <= warmup_s || std::isnan(value)) continue;
      hours.push_back(window.end_s / 3600.0);
      values.push_back(value);
    }
    drift.windows = values.size();
    if (const auto threshold = thresholds_percent_per_hour.find(name); threshold != thresholds_percent_per_hour.end())
      drift.threshold_percent_per_hour = threshold->second;
    if (values.empty()) {
      drifts.push_back(drift);
      continue;
    }
    drift.first = values.front();
    drift.last = values.back();
    drift.fit = fit_line(hours, values);
    drift.start_level = drift.fit.intercept + drift.fit.slope * hours.front();
    // Relative to the level the soak started from; a series that starts at
    // zero (a counter, an empty queue) is measured against its mean instead.
    double level = std::fabs(drift.start_level);
    if (level < 1e-12) {
      for (const double v : values) level += std::fabs(v) / static_cast<double>(values.size());
    }
    if (level > 1e-12) {
      drift.drift_percent_per_hour = drift.fit.slope / level * 100.0;
      drift.half_width_percent_per_hour = drift.fit.slope_half_width_95 / level * 100.0;
    } else {
      drift.half_width_percent_per_hour = std::isinf(drift.fit.slope_half_width_95) ? INFINITY : 0;
    }
    if (drift.threshold_percent_per_hour >= 0 && drift.windows >= 3) {
      const double low = drift.drift_percent_per_hour - drift.half_width_percent_per_hour;
      const double high = drift.drift_percent_per_hour + drift.half_width_percent_per_hour;
      drift.exceeded = falls_are_bad(name) ? high < -drift.threshold_percent_per_hour
                                           : low > drift.threshold_percent_per_hour;
    }
    drifts.push_back(drift);
  }
  return drifts;
}

}  // namespace keel::bench
