// `keel bench compare`: two result files side by side, every metric's
// change in percent, and which changes are regressions beyond a threshold.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace keel::bench {

// Which way a metric should move.
enum class Better { kHigher, kLower, kNeither };

// By name: throughputs and goodput are better higher; latencies and failures
// lower; totals, durations, sample counts and maxima (one outlier each) are
// context, never regressions.
Better better_direction(const std::string& metric);

struct MetricChange {
  std::string metric;        // "ttft_ms.p99", "output_token_throughput", ...
  double base = 0;
  double candidate = 0;
  double change_percent = 0;  // (candidate - base) / base * 100; ±inf from a zero base
  Better better = Better::kNeither;
  bool gated = true;          // may be a regression (see --gate); else shown only
  bool regression = false;    // gated and worse by more than the threshold
  bool improvement = false;   // better by more than the threshold
};

struct Comparison {
  std::vector<MetricChange> changes;
  std::vector<std::string> warnings;  // different machines, configurations, keel builds
  bool has_regression() const;
};

// Whether `metric` is one of `gate`: a name ("failed") or a group, the part
// before a dot ("ttft_ms" names every TTFT percentile). An empty gate holds
// every metric.
bool is_gated(const std::string& metric, const std::vector<std::string>& gate);

// Compares the "metrics" of two serve result documents. Only metrics in
// `gate` (all when it is empty) can be regressions; the rest are shown.
Result<Comparison> compare_results(const nlohmann::json& base, const nlohmann::json& candidate,
                                   double max_regression_percent, const std::vector<std::string>& gate = {});

std::string format_comparison(const Comparison& comparison, double max_regression_percent);

}  // namespace keel::bench
