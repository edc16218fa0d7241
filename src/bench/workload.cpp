#include "bench/workload.h"

#include <algorithm>
#include <cmath>

#include "bench/synthetic_text.h"
#include "bench/workload_kinds.h"

namespace keel::bench {

int32_t drawn_length(int32_t length, double range_ratio, uint64_t seed, uint64_t index, uint64_t salt) {
  if (range_ratio <= 0) return std::max(length, 1);
  const auto low = static_cast<int64_t>(std::floor(length * std::max(0.0, 1 - range_ratio)));
  const auto high = static_cast<int64_t>(std::ceil(length * (1 + range_ratio)));
  SeededRandom random(seed, {index, salt});
  return static_cast<int32_t>(std::max<int64_t>(random.between(low, high), 1));
}

Result<std::unique_ptr<Workload>> make_workload(const WorkloadOptions& options) {
  if (options.input_len < 1 || options.output_len < 1) return Error{"--input-len and --output-len must be at least 1"};
  if (options.range_ratio < 0 || options.range_ratio >= 1) return Error{"--range-ratio must be in [0, 1)"};
  if (options.kind == "random") return make_random_workload(options);
  if (options.kind == "shared-prefix") {
    if (options.prefix_len < 1) return Error{"--prefix-len must be at least 1"};
    return make_shared_prefix_workload(options);
  }
  if (options.kind == "multiturn") {
    if (options.turns < 1 || options.conversations < 1) return Error{"--turns and --conversations must be at least 1"};
    return make_multiturn_workload(options);
  }
  if (options.kind == "jsonl") return make_jsonl_workload(options);
  return Error{"unknown workload '" + options.kind + "' (random, multiturn, shared-prefix or jsonl)"};
}

}  // namespace keel::bench
