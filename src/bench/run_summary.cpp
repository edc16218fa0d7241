#include "bench/run_summary.h"

#include <algorithm>

#include "bench/units.h"

namespace keel::bench {

Result<Slo> parse_slo(std::string_view text) {
  auto pairs = parse_key_values(text);
  if (!pairs.ok()) return Error{"--slo: " + pairs.error().message};
  Slo slo;
  for (const auto& [key, value] : *pairs) {
    auto seconds = parse_duration_seconds(value);
    if (!seconds.ok()) return Error{"--slo " + key + ": " + seconds.error().message};
    if (key == "ttft") slo.ttft_s = *seconds;
    else if (key == "tpot") slo.tpot_s = *seconds;
    else if (key == "itl") slo.itl_s = *seconds;
    else if (key == "e2e") slo.e2e_s = *seconds;
    else return Error{"--slo: unknown key '" + key + "' (ttft, tpot, itl, e2e)"};
  }
  return slo;
}

bool meets_slo(const Slo& slo, const RequestRecord& record) {
  if (!record.ok) return false;
  if (slo.ttft_s && record.ttft_s > *slo.ttft_s) return false;
  if (slo.tpot_s && record.tpot_s() > *slo.tpot_s) return false;
  if (slo.e2e_s && record.e2e_s > *slo.e2e_s) return false;
  if (slo.itl_s && !record.itl_s.empty() && *std::max_element(record.itl_s.begin(), record.itl_s.end()) > *slo.itl_s)
    return false;
  return true;
}

RunSummary summarize_run(const std::vector<RequestRecord>& records, double duration_s, const Slo& slo) {
  RunSummary summary;
  summary.duration_s = duration_s;
  std::vector<double> ttft, tpot, itl, e2e;
  uint64_t good = 0;
  for (const auto& record : records) {
    if (!record.ok) {
      ++summary.failed;
      ++summary.failures[record.failure];
      continue;
    }
    ++summary.completed;
    summary.input_tokens += record.prompt_tokens;
    summary.output_tokens += record.output_tokens;
    summary.cached_tokens += record.cached_tokens;
    ttft.push_back(record.ttft_s);
    e2e.push_back(record.e2e_s);
    if (record.output_tokens > 1) tpot.push_back(record.tpot_s());
    itl.insert(itl.end(), record.itl_s.begin(), record.itl_s.end());
    if (!slo.empty() && meets_slo(slo, record)) ++good;
  }
  summary.ttft_s = summarize(std::move(ttft));
  summary.tpot_s = summarize(std::move(tpot));
  summary.itl_s = summarize(std::move(itl));
  summary.e2e_s = summarize(std::move(e2e));
  if (duration_s > 0) {
    summary.request_throughput = static_cast<double>(summary.completed) / duration_s;
    summary.input_throughput = static_cast<double>(summary.input_tokens) / duration_s;
    summary.output_throughput = static_cast<double>(summary.output_tokens) / duration_s;
    if (!slo.empty()) summary.goodput = static_cast<double>(good) / duration_s;
  }
  return summary;
}

}  // namespace keel::bench
