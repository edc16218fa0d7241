// The numbers a benchmark run reports, computed from its request records:
// counts, throughput, latency summaries and goodput under an SLO.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/request_record.h"
#include "bench/statistics.h"
#include "core/result.h"

namespace keel::bench {

// Service-level objective: a request counts towards goodput when it
// succeeded and met every bound given.
struct Slo {
  std::optional<double> ttft_s, tpot_s, itl_s, e2e_s;  // itl: the request's worst gap
  bool empty() const { return !ttft_s && !tpot_s && !itl_s && !e2e_s; }
};

// "ttft=500ms,tpot=50ms" (keys ttft, tpot, itl, e2e; durations as parse_duration_seconds).
Result<Slo> parse_slo(std::string_view text);
bool meets_slo(const Slo& slo, const RequestRecord& record);

struct RunSummary {
  uint64_t completed = 0;
  uint64_t failed = 0;
  std::map<std::string, uint64_t> failures;  // by category ("http 503", "truncated", ...)
  double duration_s = 0;
  int64_t input_tokens = 0;   // of completed requests
  int64_t output_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens the server reported as served from its cache
  double request_throughput = 0;  // completed requests per second
  double input_throughput = 0;    // tokens per second
  double output_throughput = 0;
  Summary ttft_s, tpot_s, itl_s, e2e_s;
  std::optional<double> goodput;  // requests per second meeting the SLO (when one was given)
};

RunSummary summarize_run(const std::vector<RequestRecord>& records, double duration_s, const Slo& slo);

}  // namespace keel::bench
