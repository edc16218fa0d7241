// Workloads: seeded, reproducible streams of requests. Request i depends
// only on the seed and i, so a run of any length (a 24 h soak included)
// asks for the same things in the same order every time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bench/request_spec.h"
#include "core/result.h"

namespace keel::bench {

struct WorkloadOptions {
  std::string kind = "random";  // random | multiturn | shared-prefix | jsonl
  int32_t input_len = 256;      // prompt words (random, multiturn turns, shared-prefix questions)
  int32_t output_len = 128;     // output tokens asked for
  double range_ratio = 0;       // lengths drawn uniformly in len * [1 - r, 1 + r]
  uint64_t seed = 0;
  int32_t prefix_len = 1024;    // shared-prefix: words of the common system prompt
  int32_t turns = 4;            // multiturn: user turns per conversation
  int32_t conversations = 16;   // multiturn: conversations interleaved at a time
  std::string dataset;          // jsonl: the file
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual RequestSpec request(uint64_t index) const = 0;
  // How many distinct requests there are before they repeat (jsonl), if bounded.
  virtual std::optional<uint64_t> size() const { return std::nullopt; }
};

Result<std::unique_ptr<Workload>> make_workload(const WorkloadOptions& options);

// Lengths for request `index` within len * [1 - r, 1 + r], at least 1.
int32_t drawn_length(int32_t length, double range_ratio, uint64_t seed, uint64_t index, uint64_t salt);

}  // namespace keel::bench
