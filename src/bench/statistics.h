// The statistics every bench report uses: percentiles and summaries of
// latency samples, and a least-squares line with a confidence interval on
// its slope (the drift of a soak).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace keel::bench {

// The q-th percentile (0..100) with linear interpolation between order
// statistics (numpy's default), so small samples give smooth answers.
// `sorted` must be ascending; an empty sample gives 0.
double percentile_of_sorted(std::span<const double> sorted, double q);

// What every latency row of a report shows.
struct Summary {
  size_t count = 0;
  double mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
};

Summary summarize(std::vector<double> values);

// y = intercept + slope * x, fitted by ordinary least squares.
struct LinearFit {
  size_t points = 0;
  double slope = 0;
  double intercept = 0;
  // Half-width of the 95% confidence interval of the slope (Student t with
  // points - 2 degrees of freedom); infinite with fewer than 3 points.
  double slope_half_width_95 = 0;
};

LinearFit fit_line(std::span<const double> x, std::span<const double> y);

// The 97.5% quantile of Student's t distribution with `df` degrees of
// freedom (df >= 1): the factor of a two-sided 95% interval.
double student_t_975(size_t df);

}  // namespace keel::bench
