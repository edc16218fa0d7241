// `keel bench serve`: one benchmark run against an OpenAI-compatible
// server, reported on the terminal and in a JSON result file.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/load_runner.h"
#include "bench/openai_client.h"
#include "bench/run_summary.h"
#include "bench/workload.h"

namespace keel::bench {

struct ServeBenchmarkConfig {
  EndpointConfig endpoint;
  WorkloadOptions workload;
  LoadShape shape;
  Slo slo;
  std::string output_path;  // empty: no result file
  std::string metrics_path = "/metrics";  // for the server's resident memory; empty: not scraped
  nlohmann::json described;  // the configuration as the user gave it, stored in the result
};

// Runs the benchmark; returns the process exit status: 0 when every request
// succeeded, 1 when any failed or the result file could not be written.
int run_serve_benchmark(const ServeBenchmarkConfig& config);

}  // namespace keel::bench
