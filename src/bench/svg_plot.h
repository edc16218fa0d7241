// A self-contained SVG line chart (no scripts, no external fonts or
// styles), stacked panels sharing one x axis: what a person opens in a
// browser to see a soak's latency and memory over time.
#pragma once

#include <string>
#include <vector>

namespace keel::bench {

struct PlotLine {
  std::string label;
  std::vector<double> x, y;  // NaN points are skipped (the line breaks there)
  std::string color = "#1f77b4";
  bool dashed = false;       // fitted lines are dashed
};

struct PlotPanel {
  std::string y_label;
  std::vector<PlotLine> lines;
};

std::string render_svg_chart(const std::string& title, const std::string& x_label,
                             const std::vector<PlotPanel>& panels);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string xml_escape(const std::string& text);

}  // namespace keel::bench
