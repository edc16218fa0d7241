#include "bench/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace keel::bench {
namespace {

constexpr double kWidth = 900, kPanelHeight = 260, kTop = 40;
constexpr double kLeft = 80, kRight = 190, kPanelGap = 50;  // kRight leaves room for the legend

struct Range {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  void include(double v) {
    if (std::isnan(v)) return;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  // A range that can be drawn: finite, and not a single point.
  void settle(bool from_zero) {
    if (!std::isfinite(low)) low = high = 0;
    if (from_zero) low = std::min(low, 0.0);
    if (high - low < 1e-12) high = low + (std::fabs(low) > 0 ? std::fabs(low) * 0.1 : 1);
  }
};

std::string fixed(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg_chart(const std::string& title, const std::string& x_label,
                             const std::vector<PlotPanel>& panels) {
  Range x_range;
  for (const auto& panel : panels)
    for (const auto& line : panel.lines)
      for (const double x : line.x) x_range.include(x);
  x_range.settle(true);
  const double plot_width = kWidth - kLeft - kRight;
  const double height = kTop + static_cast<double>(panels.size()) * (kPanelHeight + kPanelGap) + 20;
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(kWidth) + "\" height=\"" + fixed(height) +
         "\" viewBox=\"0 0 " + fixed(kWidth) + " " + fixed(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + fixed(kWidth / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">" + xml_escape(title) +
         "</text>\n";
  for (size_t p = 0; p < panels.size(); ++p) {
    const PlotPanel& panel = panels[p];
    const double top = kTop + static_cast<double>(p) * (kPanelHeight + kPanelGap);
    const double bottom = top + kPanelHeight;
    Range y_range;
    for (const auto& line : panel.lines)
      for (const double y : line.y) y_range.include(y);
    y_range.settle(true);
    const auto to_x = [&](double x) { return kLeft + (x - x_range.low) / (x_range.high - x_range.low) * plot_width; };
    const auto to_y = [&](double y) { return bottom - (y - y_range.low) / (y_range.high - y_range.low) * kPanelHeight; };
    svg += "<g>\n<rect x=\"" + fixed(kLeft) + "\" y=\"" + fixed(top) + "\" width=\"" + fixed(plot_width) +
           "\" height=\"" + fixed(kPanelHeight) + "\" fill=\"none\" stroke=\"#888\"/>\n";
    for (int tick = 0; tick <= 4; ++tick) {  // horizontal grid with y labels, vertical ticks with x labels
      const double y_value = y_range.low + (y_range.high - y_range.low) * tick / 4.0;
      const double y = to_y(y_value);
      svg += "<line x1=\"" + fixed(kLeft) + "\" y1=\"" + fixed(y) + "\" x2=\"" + fixed(kLeft + plot_width) + "\" y2=\"" +
             fixed(y) + "\" stroke=\"#eee\"/>\n";
      svg += "<text x=\"" + fixed(kLeft - 6) + "\" y=\"" + fixed(y + 4) + "\" text-anchor=\"end\">" +
             xml_escape(tick_label(y_value)) + "</text>\n";
      const double x_value = x_range.low + (x_range.high - x_range.low) * tick / 4.0;
      svg += "<text x=\"" + fixed(to_x(x_value)) + "\" y=\"" + fixed(bottom + 16) + "\" text-anchor=\"middle\">" +
             xml_escape(tick_label(x_value)) + "</text>\n";
    }
    svg += "<text transform=\"translate(16," + fixed((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
           xml_escape(panel.y_label) + "</text>\n";
    svg += "<text x=\"" + fixed(kLeft + plot_width / 2) + "\" y=\"" + fixed(bottom + 32) + "\" text-anchor=\"middle\">" +
           xml_escape(x_label) + "</text>\n";
    for (size_t l = 0; l < panel.lines.size(); ++l) {
      const PlotLine& line = panel.lines[l];
      std::string points;
      const auto flush = [&] {
        if (!points.empty())
          svg += "<polyline fill=\"none\" stroke=\"" + xml_escape(line.color) + "\" stroke-width=\"1.5\"" +
                 (line.dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + points + "\"/>\n";
        points.clear();
      };
      for (size_t i = 0; i < std::min(line.x.size(), line.y.size()); ++i) {
        if (std::isnan(line.x[i]) || std::isnan(line.y[i])) {
          flush();
          continue;
        }
        points += (points.empty() ? "" : " ") + fixed(to_x(line.x[i])) + "," + fixed(to_y(line.y[i]));
      }
      flush();
      const double legend_y = top + 14 + static_cast<double>(l) * 16;
      const double legend_x = kLeft + plot_width + 12;
      svg += "<line x1=\"" + fixed(legend_x) + "\" y1=\"" + fixed(legend_y - 4) + "\" x2=\"" + fixed(legend_x + 20) +
             "\" y2=\"" + fixed(legend_y - 4) + "\" stroke=\"" + xml_escape(line.color) + "\" stroke-width=\"2\"" +
             (line.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
      svg += "<text x=\"" + fixed(legend_x + 26) + "\" y=\"" + fixed(legend_y) + "\">" + xml_escape(line.label) +
             "</text>\n";
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace keel::bench
