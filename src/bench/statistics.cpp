#include "bench/statistics.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/check.h"

namespace keel::bench {

double percentile_of_sorted(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  const double rank = std::clamp(q, 0.0, 100.0) / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = rank - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

Summary summarize(std::vector<double> values) {
  Summary summary;
  summary.count = values.size();
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  summary.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  summary.median = percentile_of_sorted(values, 50);
  summary.p90 = percentile_of_sorted(values, 90);
  summary.p95 = percentile_of_sorted(values, 95);
  summary.p99 = percentile_of_sorted(values, 99);
  summary.max = values.back();
  return summary;
}

LinearFit fit_line(std::span<const double> x, std::span<const double> y) {
  KEEL_CHECK(x.size() == y.size(), "fit_line needs as many x as y");
  LinearFit fit;
  fit.points = x.size();
  fit.slope_half_width_95 = std::numeric_limits<double>::infinity();
  if (x.empty()) return fit;
  const double n = static_cast<double>(x.size());
  const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
  }
  if (sxx <= 0) {  // one point, or all at the same x: no slope to speak of
    fit.intercept = mean_y;
    return fit;
  }
  fit.slope = sxy / sxx;
  fit.intercept = mean_y - fit.slope * mean_x;
  if (x.size() < 3) return fit;
  double residual_squares = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double residual = y[i] - (fit.intercept + fit.slope * x[i]);
    residual_squares += residual * residual;
  }
  // Standard error of the slope: sqrt(s^2 / Sxx) with s^2 = RSS / (n - 2).
  const double standard_error = std::sqrt(residual_squares / (n - 2) / sxx);
  fit.slope_half_width_95 = student_t_975(x.size() - 2) * standard_error;
  return fit;
}

double student_t_975(size_t df) {
  KEEL_CHECK(df >= 1, "Student t needs at least one degree of freedom");
  // Exact to four decimals for small samples, where the tail matters most.
  static constexpr std::array<double, 30> kTable = {
      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
      2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
      2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= kTable.size()) return kTable[df - 1];
  // Beyond 30 the Cornish-Fisher expansion around the normal quantile is
  // accurate to better than 1e-4.
  const double z = 1.959963984540054;
  const double v = static_cast<double>(df);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
}

}  // namespace keel::bench
