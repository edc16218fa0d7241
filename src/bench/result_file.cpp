#include "bench/result_file.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include "bench/build_identity.h"
#include "bench/machine_info.h"

namespace keel::bench {
namespace {

nlohmann::json milliseconds(const Summary& summary) {
  return {{"mean", summary.mean * 1e3},     {"median", summary.median * 1e3}, {"p90", summary.p90 * 1e3},
          {"p95", summary.p95 * 1e3},
          {"p99", summary.p99 * 1e3},       {"max", summary.max * 1e3},       {"count", summary.count}};
}

}  // namespace

nlohmann::json summary_to_json(const RunSummary& summary) {
  nlohmann::json metrics = {
      {"completed", summary.completed},
      {"failed", summary.failed},
      {"failures", summary.failures},
      {"duration_s", summary.duration_s},
      {"request_throughput", summary.request_throughput},
      {"input_token_throughput", summary.input_throughput},
      {"output_token_throughput", summary.output_throughput},
      {"total_input_tokens", summary.input_tokens},
      {"total_output_tokens", summary.output_tokens},
      {"cached_tokens", summary.cached_tokens},
      {"ttft_ms", milliseconds(summary.ttft_s)},
      {"tpot_ms", milliseconds(summary.tpot_s)},
      {"itl_ms", milliseconds(summary.itl_s)},
      {"e2e_ms", milliseconds(summary.e2e_s)},
  };
  if (summary.goodput) metrics["goodput"] = *summary.goodput;
  return metrics;
}

nlohmann::json result_document(const nlohmann::json& config, const RunSummary& summary) {
  return {{"kind", kServeResultKind},
          {"format_version", 1},
          {"keel", {{"version", keel_version()}, {"git_commit", keel_git_commit()}}},
          {"machine", describe_machine()},
          {"finished_at", utc_timestamp()},
          {"config", config},
          {"metrics", summary_to_json(summary)}};
}

Status write_json_file(const std::string& path, const nlohmann::json& document) {
  std::ofstream out(path);
  out << document.dump(2) << '\n';
  if (!out) return Error{"cannot write " + path};
  return ok_status();
}

Result<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot open " + path};
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json document = nlohmann::json::parse(text.str(), nullptr, false);
  if (document.is_discarded()) return Error{path + " is not valid JSON"};
  return document;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return buffer;
}

}  // namespace keel::bench
