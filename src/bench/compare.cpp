#include "bench/compare.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

#include "bench/result_file.h"

namespace keel::bench {
namespace {

constexpr const char* kGrowthMetric = "server_memory.rss_growth_bytes";

// Every numeric leaf of `metrics` as "a.b" -> value.
void flatten(const nlohmann::json& node, const std::string& prefix, std::map<std::string, double>& out) {
  if (node.is_number()) {
    out[prefix] = node.get<double>();
  } else if (node.is_object()) {
    for (const auto& [key, value] : node.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, out);
  }
}

Status check_document(const nlohmann::json& document, const char* which) {
  if (!document.is_object() || document.value("kind", "") != kServeResultKind || !document.contains("metrics"))
    return Error{std::string(which) + " is not a `keel bench serve` result file"};
  return ok_status();
}

double percent_change(double base, double candidate) {
  if (base == candidate) return 0;
  if (base == 0) return candidate > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  return (candidate - base) / std::fabs(base) * 100.0;
}

}  // namespace

Better better_direction(const std::string& metric) {
  const bool is_latency = metric.find("_ms.") != std::string::npos;
  if (metric.ends_with(".count") || metric.ends_with(".max") || metric.starts_with("failures.")) return Better::kNeither;
  if (is_latency || metric == "failed") return Better::kLower;
  // The server's memory (bench serve's server_memory): its peak, its size
  // after the run and its growth over the run are better smaller.
  if (metric == "server_memory.rss_peak_bytes" || metric == "server_memory.rss_final_bytes" ||
      metric == kGrowthMetric)
    return Better::kLower;
  if (metric.ends_with("throughput") || metric == "goodput" || metric == "completed") return Better::kHigher;
  return Better::kNeither;
}

bool is_gated(const std::string& metric, const std::vector<std::string>& gate) {
  if (gate.empty()) return true;
  for (const auto& name : gate)
    if (metric == name || (metric.starts_with(name) && metric.size() > name.size() && metric[name.size()] == '.'))
      return true;
  return false;
}

bool Comparison::has_regression() const {
  for (const auto& change : changes)
    if (change.regression) return true;
  return false;
}

Result<Comparison> compare_results(const nlohmann::json& base, const nlohmann::json& candidate,
                                   double max_regression_percent, const std::vector<std::string>& gate) {
  KEEL_TRY(check_document(base, "BASE"));
  KEEL_TRY(check_document(candidate, "NEW"));
  std::map<std::string, double> base_metrics, candidate_metrics;
  flatten(base["metrics"], "", base_metrics);
  flatten(candidate["metrics"], "", candidate_metrics);
  // A misspelt gate would silently pass every run: each name must match.
  for (const auto& name : gate) {
    bool matched = false;
    for (const auto& [metric, value] : base_metrics) matched = matched || is_gated(metric, {name});
    if (!matched) return Error{"--gate names \"" + name + "\", which is no metric of BASE"};
  }
  Comparison comparison;
  for (const auto& [metric, base_value] : base_metrics) {
    const auto found = candidate_metrics.find(metric);
    if (found == candidate_metrics.end()) {
      comparison.warnings.push_back("NEW has no " + metric);
      continue;
    }
    MetricChange change{metric, base_value, found->second, percent_change(base_value, found->second),
                        better_direction(metric)};
    // Growth is near zero in a healthy server, so its own percent change is
    // noise (0 -> 40 KiB is +inf%). It is measured against the server's
    // size instead: growing 1% of the base's starting RSS more is +1%.
    if (metric == kGrowthMetric) {
      const auto start = base_metrics.find("server_memory.rss_start_bytes");
      if (start != base_metrics.end() && start->second > 0)
        change.change_percent = (found->second - base_value) / start->second * 100.0;
    }
    const double worse_by = change.better == Better::kLower    ? change.change_percent
                            : change.better == Better::kHigher ? -change.change_percent
                                                               : 0;
    change.gated = is_gated(metric, gate);
    change.regression = change.gated && worse_by > max_regression_percent;
    change.improvement = change.better != Better::kNeither && -worse_by > max_regression_percent;
    comparison.changes.push_back(change);
  }
  // Failure categories that appear only in NEW are still failures.
  for (const auto& [metric, value] : candidate_metrics)
    if (!base_metrics.contains(metric) && metric.starts_with("failures."))
      comparison.changes.push_back(
          {metric, 0, value, percent_change(0, value), Better::kNeither, is_gated(metric, gate)});
  for (const char* section : {"machine", "config", "keel"})
    if (base.value(section, nlohmann::json()) != candidate.value(section, nlohmann::json()))
      comparison.warnings.push_back(std::string("the runs differ in their ") + section);
  return comparison;
}

std::string format_comparison(const Comparison& comparison, double max_regression_percent) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %14s %14s %10s\n", "metric", "base", "new", "change");
  out += line;
  for (const auto& change : comparison.changes) {
    char percent[32];
    if (std::isinf(change.change_percent)) std::snprintf(percent, sizeof percent, "%s", change.change_percent > 0 ? "+inf%" : "-inf%");
    else std::snprintf(percent, sizeof percent, "%+.1f%%", change.change_percent);
    const char* mark = change.regression    ? "  REGRESSION"
                       : change.improvement ? "  better"
                       : !change.gated      ? "  (not gated)"
                                            : "";
    std::snprintf(line, sizeof line, "%-28s %14.3f %14.3f %10s%s\n", change.metric.c_str(), change.base,
                  change.candidate, percent, mark);
    out += line;
  }
  for (const auto& warning : comparison.warnings) out += "note: " + warning + "\n";
  size_t regressions = 0;
  for (const auto& change : comparison.changes) regressions += change.regression ? 1 : 0;
  std::snprintf(line, sizeof line, "%zu regression(s) beyond %.1f%%\n", regressions, max_regression_percent);
  out += line;
  return out;
}

}  // namespace keel::bench
