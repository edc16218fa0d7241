// What `keel bench model` prints: a table laid out as llama-bench's, so the
// two can be read side by side, and the JSON file other tools read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/model_benchmark.h"

namespace keel::bench {

struct ModelBenchmarkReport {
  std::string model;         // the file's name
  int64_t model_bytes = 0;   // every tensor, as stored
  int64_t parameters = 0;
  std::string device;        // the backend's name
  int32_t threads = 0;       // the CPU thread pool's size
  std::vector<TestResult> results;
  int64_t weight_bytes_per_token = 0;   // bench/weight_traffic.h
  double read_ceiling_bytes_per_s = 0;  // measured in this process; 0 when not measured (a GPU run)
};

// | model | size | params | backend | threads | test | t/s |, one row per
// test (t/s as "median (min – max)"), then the weight read per decoded
// token, the bandwidth the tg median implies and the read ceiling.
std::string format_model_benchmark(const ModelBenchmarkReport& report);

// {"model", "device", "threads", "results": [{"test", "median", "min",
// "max", "samples"}], "weight_bytes_per_token", "tg_bytes_per_s",
// "read_ceiling_gbps", ...}. The first four keys and the results' first
// four are a contract: other tools read them.
nlohmann::ordered_json model_benchmark_json(const ModelBenchmarkReport& report);

}  // namespace keel::bench
