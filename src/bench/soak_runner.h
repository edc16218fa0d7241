// `keel bench soak`: a steady load for a long time, cut into windows; at the
// end (or on Ctrl-C) the drift of every series and a pass/fail verdict.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/load_runner.h"
#include "bench/openai_client.h"
#include "bench/workload.h"

namespace keel::bench {

struct SoakConfig {
  EndpointConfig endpoint;
  WorkloadOptions workload;
  LoadShape shape;                     // its duration_s is the soak's length
  double interval_s = 60;              // window length
  double warmup_s = 0;                 // windows ending before this are not fitted
  std::map<std::string, double> max_drift_percent_per_hour;  // series -> threshold
  bool allow_failures = false;         // otherwise any failed request fails the soak
  std::string metrics_path = "/metrics";  // empty: do not scrape
  std::string output_dir = "soak";
  nlohmann::json described;            // the configuration as given, stored in soak.json
};

// Runs the soak; returns the exit status: 0 passed, 1 failed (a drift
// beyond its threshold, a failed request, a step-loop allocation after
// warm-up, or no windows at all).
int run_soak(const SoakConfig& config);

}  // namespace keel::bench
