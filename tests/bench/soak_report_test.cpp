// The drift analysis on synthetic windows, and the files a soak writes.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "bench/drift.h"
#include "bench/soak_report.h"
#include "bench/svg_plot.h"

namespace keel::bench {
namespace {

// Windows every minute for an hour; rss grows `rss_growth` per hour from 100 MB.
std::vector<SoakWindow> windows(double rss_growth_per_hour, double latency_noise) {
  std::vector<SoakWindow> out;
  for (int minute = 1; minute <= 60; ++minute) {
    SoakWindow w;
    w.end_s = minute * 60.0;
    w.values.assign(soak_series_names().size(), NAN);
    const auto set = [&](const char* name, double v) {
      for (size_t i = 0; i < soak_series_names().size(); ++i)
        if (soak_series_names()[i] == name) w.values[i] = v;
    };
    set("rss_bytes", 100e6 + rss_growth_per_hour * minute / 60.0);
    set("e2e_p50_ms", 200 + (minute % 2 ? latency_noise : -latency_noise));
    set("requests_completed", 10);
    out.push_back(w);
  }
  return out;
}

const SeriesDrift& find(const std::vector<SeriesDrift>& drifts, const std::string& name) {
  for (const auto& d : drifts)
    if (d.series == name) return d;
  throw std::runtime_error(name);
}

TEST(Drift, ReportsPercentPerHourOfTheStartingLevel) {
  auto thresholds = parse_drift_thresholds("rss=5,latency=10%");
  ASSERT_TRUE(thresholds.ok()) << thresholds.error().message;
  const auto drifts = analyse_drift(windows(10e6, 5), 600, *thresholds);
  const SeriesDrift& rss = find(drifts, "rss_bytes");
  EXPECT_EQ(rss.windows, 50u);  // minutes 11..60: after the 10-minute warm-up
  // 10 MB/h on a level of ~101.8 MB at minute 11
  EXPECT_NEAR(rss.drift_percent_per_hour, 10e6 / (100e6 + 10e6 * 11 / 60) * 100, 1e-6);
  EXPECT_TRUE(rss.exceeded);
  const SeriesDrift& latency = find(drifts, "e2e_p50_ms");
  EXPECT_FALSE(latency.exceeded);  // flat with noise
  EXPECT_GT(latency.half_width_percent_per_hour, 0);
}

TEST(Drift, FlatMemoryPassesAndUnknownKeysAreRejected) {
  auto thresholds = parse_drift_thresholds("rss=1");
  ASSERT_TRUE(thresholds.ok());
  const auto drifts = analyse_drift(windows(0, 1), 600, *thresholds);
  EXPECT_FALSE(find(drifts, "rss_bytes").exceeded);
  EXPECT_NEAR(find(drifts, "rss_bytes").drift_percent_per_hour, 0, 1e-9);
  EXPECT_FALSE(parse_drift_thresholds("nonsense=5").ok());
  EXPECT_FALSE(parse_drift_thresholds("rss=lots").ok());
}

TEST(SoakFiles, CsvHasAColumnPerSeriesAndBlankUnknowns) {
  const std::string csv = soak_csv(windows(0, 1));
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), static_cast<long>(soak_series_names().size()));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 61);
  EXPECT_NE(csv.find(",,"), std::string::npos);  // NaN series are empty cells
}

// A small check that the SVG is well-formed XML: every tag closes, in order.
bool well_formed(const std::string& xml) {
  std::vector<std::string> open;
  const std::regex tag(R"(<(/?)([a-zA-Z]+)[^>]*?(/?)>)");
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), tag); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    if (m[3] == "/") continue;  // self-closing
    if (m[1] == "/") {
      if (open.empty() || open.back() != m[2]) return false;
      open.pop_back();
    } else {
      open.push_back(m[2]);
    }
  }
  return open.empty();
}

TEST(SoakFiles, SvgIsWellFormedAndSelfContained) {
  const auto w = windows(10e6, 5);
  const auto drifts = analyse_drift(w, 600, {});
  const std::string svg = soak_svg(w, drifts, 600);
  EXPECT_TRUE(svg.starts_with("<?xml"));
  EXPECT_TRUE(well_formed(svg.substr(svg.find("<svg"))));
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);  // the fitted lines
  EXPECT_NE(svg.find("resident"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  const std::string empty = render_svg_chart("t<", "x", {PlotPanel{"y", {}}});
  EXPECT_TRUE(well_formed(empty.substr(empty.find("<svg"))));
}

}  // namespace
}  // namespace keel::bench
