#include "bench/model_benchmark_report.h"

#include <cstdio>

#include "bench/build_identity.h"
#include "bench/machine_info.h"

namespace keel::bench {
namespace {

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// The tg result, if the run had one: the test whose rate is a decode rate.
const TestResult* decode_result(const ModelBenchmarkReport& report) {
  for (const TestResult& result : report.results)
    if (result.test.rfind("tg", 0) == 0) return &result;
  return nullptr;
}

std::string row(const std::vector<std::string>& cells) {
  std::string line = "|";
  for (const auto& cell : cells) line += " " + cell + " |";
  return line + "\n";
}

}  // namespace

std::string format_model_benchmark(const ModelBenchmarkReport& report) {
  std::string out = row({"model", "size", "params", "backend", "threads", "test", "t/s (median, min - max)"});
  out += row({"---", "---:", "---:", "---", "---:", "---:", "---:"});
  const std::string size = printf_string("%.2f MiB", static_cast<double>(report.model_bytes) / (1 << 20));
  const std::string params = printf_string("%.2f M", static_cast<double>(report.parameters) / 1e6);
  for (const TestResult& result : report.results)
    out += row({report.model, size, params, report.device, std::to_string(report.threads), result.test,
                printf_string("%.2f", result.median) + " (" + printf_string("%.2f", result.min) + " - " +
                    printf_string("%.2f", result.max) + ")"});
  out += "\nweight read per decoded token: " +
         printf_string("%.2f MB", static_cast<double>(report.weight_bytes_per_token) / 1e6);
  if (const TestResult* tg = decode_result(report))
    out += "; " + tg->test + " median reads " +
           printf_string("%.2f GB/s", tg->median * static_cast<double>(report.weight_bytes_per_token) / 1e9);
  if (report.read_ceiling_bytes_per_s > 0) {
    out += "\nread ceiling (measured now, " + std::to_string(report.threads) +
           " threads): " + printf_string("%.1f GB/s", report.read_ceiling_bytes_per_s / 1e9);
    if (const TestResult* tg = decode_result(report))
      out += ", tg at " +
             printf_string("%.0f%%", 100.0 * tg->median * static_cast<double>(report.weight_bytes_per_token) /
                                         report.read_ceiling_bytes_per_s) +
             " of it";
  }
  return out + "\n";
}

nlohmann::ordered_json model_benchmark_json(const ModelBenchmarkReport& report) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const TestResult& result : report.results)
    results.push_back({{"test", result.test}, {"median", result.median}, {"min", result.min}, {"max", result.max},
                       {"samples", result.tokens_per_second}});
  nlohmann::ordered_json json = {{"model", report.model}, {"device", report.device}, {"threads", report.threads},
                                 {"results", results}};
  json["model_bytes"] = report.model_bytes;
  json["parameters"] = report.parameters;
  json["weight_bytes_per_token"] = report.weight_bytes_per_token;
  if (const TestResult* tg = decode_result(report))
    json["tg_gbps"] = tg->median * static_cast<double>(report.weight_bytes_per_token) / 1e9;
  if (report.read_ceiling_bytes_per_s > 0) json["read_ceiling_gbps"] = report.read_ceiling_bytes_per_s / 1e9;
  json["keel"] = {{"version", keel_version()}, {"git_commit", keel_git_commit()}};
  json["machine"] = nlohmann::ordered_json::parse(describe_machine().dump());  // same keys, this file's order type
  return json;
}

}  // namespace keel::bench
