#include "bench/soak_report.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/build_identity.h"
#include "bench/machine_info.h"
#include "bench/result_file.h"

namespace keel::bench {
namespace {

std::string csv_number(double value) {
  if (std::isnan(value)) return "";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

nlohmann::json json_number(double value) {
  if (!std::isfinite(value)) return nullptr;  // JSON has no NaN or infinity
  return value;
}

Status write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return Error{"cannot write " + path.string()};
  return ok_status();
}

}  // namespace

std::string soak_csv(const std::vector<SoakWindow>& windows) {
  std::string csv = "end_s";
  for (const auto& name : soak_series_names()) csv += "," + name;
  csv += "\n";
  for (const auto& window : windows) {
    csv += csv_number(window.end_s);
    for (const double value : window.values) csv += "," + csv_number(value);
    csv += "\n";
  }
  return csv;
}

nlohmann::json soak_json(const nlohmann::json& config, const std::vector<SoakWindow>& windows,
                         const std::vector<SeriesDrift>& drifts, const SoakVerdict& verdict) {
  nlohmann::json series = nlohmann::json::object();
  const auto& names = soak_series_names();
  nlohmann::json times = nlohmann::json::array();
  for (const auto& window : windows) times.push_back(window.end_s);
  for (size_t i = 0; i < names.size(); ++i) {
    nlohmann::json column = nlohmann::json::array();
    for (const auto& window : windows) column.push_back(json_number(window.values[i]));
    series[names[i]] = column;
  }
  nlohmann::json drift_rows = nlohmann::json::array();
  for (const auto& d : drifts) {
    nlohmann::json row = {{"series", d.series},
                          {"windows", d.windows},
                          {"first", json_number(d.first)},
                          {"last", json_number(d.last)},
                          {"slope_per_hour", json_number(d.fit.slope)},
                          {"drift_percent_per_hour", json_number(d.drift_percent_per_hour)},
                          {"ci95_percent_per_hour", json_number(d.half_width_percent_per_hour)},
                          {"exceeded", d.exceeded}};
    if (d.threshold_percent_per_hour >= 0) row["threshold_percent_per_hour"] = d.threshold_percent_per_hour;
    drift_rows.push_back(row);
  }
  return {{"kind", "keel-bench-soak"},
          {"format_version", 1},
          {"keel", {{"version", keel_version()}, {"git_commit", keel_git_commit()}}},
          {"machine", describe_machine()},
          {"finished_at", utc_timestamp()},
          {"config", config},
          {"window_end_s", times},
          {"series", series},
          {"drift", drift_rows},
          {"passed", verdict.passed},
          {"failures", verdict.reasons}};
}

std::string format_drift_table(const std::vector<SeriesDrift>& drifts) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-28s %7s %14s %14s %22s %10s\n", "series", "windows", "first", "last",
                "drift %/h (95% CI)", "limit");
  out += line;
  for (const auto& d : drifts) {
    if (d.windows == 0) continue;
    char drift[64], limit[32] = "";
    if (std::isfinite(d.half_width_percent_per_hour))
      std::snprintf(drift, sizeof drift, "%+.2f ± %.2f", d.drift_percent_per_hour, d.half_width_percent_per_hour);
    else
      std::snprintf(drift, sizeof drift, "%+.2f ± ?", d.drift_percent_per_hour);
    if (d.threshold_percent_per_hour >= 0) std::snprintf(limit, sizeof limit, "%.1f", d.threshold_percent_per_hour);
    std::snprintf(line, sizeof line, "%-28s %7zu %14.6g %14.6g %22s %10s%s\n", d.series.c_str(), d.windows, d.first,
                  d.last, drift, limit, d.exceeded ? "  EXCEEDED" : "");
    out += line;
  }
  return out;
}

Status write_soak_files(const std::string& directory, const nlohmann::json& config,
                        const std::vector<SoakWindow>& windows, const std::vector<SeriesDrift>& drifts,
                        const SoakVerdict& verdict, double warmup_s) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return Error{"cannot create " + directory + ": " + error.message()};
  const std::filesystem::path dir(directory);
  KEEL_TRY(write_text(dir / "soak.csv", soak_csv(windows)));
  KEEL_TRY(write_text(dir / "soak.json", soak_json(config, windows, drifts, verdict).dump(2) + "\n"));
  KEEL_TRY(write_text(dir / "soak.svg", soak_svg(windows, drifts, warmup_s)));
  return ok_status();
}

}  // namespace keel::bench
