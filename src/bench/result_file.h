// The JSON result file of `keel bench serve`: what was measured, how, by
// which keel, on which machine. `keel bench compare` reads two of them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/run_summary.h"
#include "core/result.h"

namespace keel::bench {

inline constexpr const char* kServeResultKind = "keel-bench-serve";

// Latencies in milliseconds ({mean, median, p90, p95, p99, max} per metric),
// throughputs per second, counts.
nlohmann::json summary_to_json(const RunSummary& summary);

// {kind, format_version, keel: {version, git_commit}, machine, started_at, config, metrics}.
nlohmann::json result_document(const nlohmann::json& config, const RunSummary& summary);

Status write_json_file(const std::string& path, const nlohmann::json& document);
Result<nlohmann::json> read_json_file(const std::string& path);

// The current UTC time as "2026-01-31T12:00:00Z".
std::string utc_timestamp();

}  // namespace keel::bench
