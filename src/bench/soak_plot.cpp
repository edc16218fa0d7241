// soak_svg (declared in soak_report.h): which series go on the soak's plot
// and how the fitted lines are drawn over them.
#include <algorithm>
#include <cmath>
#include <span>

#include "bench/soak_report.h"
#include "bench/svg_plot.h"

namespace keel::bench {
namespace {

struct Drawn {
  const char* series;
  const char* label;
  const char* color;
  double scale;  // from the series' unit to the panel's
};

constexpr Drawn kLatency[] = {
    {"ttft_p50_ms", "TTFT p50", "#1f77b4", 1}, {"ttft_p99_ms", "TTFT p99", "#aec7e8", 1},
    {"itl_p50_ms", "ITL p50", "#2ca02c", 1},   {"itl_p99_ms", "ITL p99", "#98df8a", 1},
    {"e2e_p50_ms", "E2E p50", "#d62728", 1},   {"e2e_p99_ms", "E2E p99", "#ff9896", 1},
};
constexpr Drawn kMemory[] = {
    {"rss_bytes", "resident", "#9467bd", 1.0 / (1 << 20)},
    {"anon_swap_bytes", "anon+swap", "#8c564b", 1.0 / (1 << 20)},
};

PlotPanel panel(const char* y_label, std::span<const Drawn> drawn, const std::vector<SoakWindow>& windows,
                const std::vector<SeriesDrift>& drifts, double warmup_s) {
  PlotPanel out{y_label, {}};
  for (const Drawn& d : drawn) {
    PlotLine line{d.label, {}, {}, d.color, false};
    for (const auto& window : windows) {
      line.x.push_back(window.end_s / 60.0);
      line.y.push_back(window.get(d.series) * d.scale);
    }
    out.lines.push_back(std::move(line));
    for (const auto& drift : drifts) {
      // The fit is drawn where it was made: from the end of warm-up on.
      if (drift.series != d.series || drift.windows < 2 || windows.empty()) continue;
      const double from_h = std::max(warmup_s, windows.front().end_s) / 3600.0;
      const double to_h = windows.back().end_s / 3600.0;
      PlotLine fit{std::string(d.label) + " fit", {from_h * 60, to_h * 60},
                   {(drift.fit.intercept + drift.fit.slope * from_h) * d.scale,
                    (drift.fit.intercept + drift.fit.slope * to_h) * d.scale},
                   d.color, true};
      out.lines.push_back(std::move(fit));
    }
  }
  return out;
}

}  // namespace

std::string soak_svg(const std::vector<SoakWindow>& windows, const std::vector<SeriesDrift>& drifts, double warmup_s) {
  return render_svg_chart("keel bench soak", "minutes since start",
                          {panel("latency (ms)", kLatency, windows, drifts, warmup_s),
                           panel("memory (MiB)", kMemory, windows, drifts, warmup_s)});
}

}  // namespace keel::bench
