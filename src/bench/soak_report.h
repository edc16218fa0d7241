// What a soak leaves behind: the time series (CSV and JSON), a plot (SVG)
// and the drift table printed at the end.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/drift.h"
#include "bench/soak_window.h"
#include "core/result.h"

namespace keel::bench {

struct SoakVerdict {
  bool passed = true;
  std::vector<std::string> reasons;  // why it failed, one line each
};

// soak.csv: one row per window, a column per series.
std::string soak_csv(const std::vector<SoakWindow>& windows);

// soak.json: configuration, windows, drift and verdict.
nlohmann::json soak_json(const nlohmann::json& config, const std::vector<SoakWindow>& windows,
                         const std::vector<SeriesDrift>& drifts, const SoakVerdict& verdict);

// soak.svg: latency percentiles and memory over time, with the fitted lines.
std::string soak_svg(const std::vector<SoakWindow>& windows, const std::vector<SeriesDrift>& drifts, double warmup_s);

// The first/last/drift table for the terminal.
std::string format_drift_table(const std::vector<SeriesDrift>& drifts);

// Writes soak.csv, soak.json and soak.svg into `directory` (created if missing).
Status write_soak_files(const std::string& directory, const nlohmann::json& config,
                        const std::vector<SoakWindow>& windows, const std::vector<SeriesDrift>& drifts,
                        const SoakVerdict& verdict, double warmup_s);

}  // namespace keel::bench
