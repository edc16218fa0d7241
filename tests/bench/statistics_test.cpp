// Expected values were worked out by hand or with a separate Python script
// (textbook formulas), not with the code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bench/run_summary.h"
#include "bench/statistics.h"

namespace keel::bench {
namespace {

TEST(Percentile, InterpolatesBetweenOrderStatistics) {
  const std::vector<double> sorted = {1, 1, 2, 3, 4, 5, 6, 9};  // n = 8, ranks 0..7
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 50), 3.5);   // rank 3.5
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 90), 6.9);   // rank 6.3: 6 + 0.3 * 3
  EXPECT_NEAR(percentile_of_sorted(sorted, 99), 8.79, 1e-12);  // rank 6.93
  EXPECT_DOUBLE_EQ(percentile_of_sorted(sorted, 100), 9);
  EXPECT_DOUBLE_EQ(percentile_of_sorted({}, 50), 0);
  EXPECT_DOUBLE_EQ(percentile_of_sorted(std::vector<double>{4}, 99), 4);
}

TEST(Summary, SortsAndSummarises) {
  const Summary s = summarize({3, 1, 4, 1, 5, 9, 2, 6});
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.mean, 31.0 / 8);
  EXPECT_DOUBLE_EQ(s.median, 3.5);
  // Sorted 1 1 2 3 4 5 6 9: rank 0.95 * 7 = 6.65 lies between 6 and 9.
  EXPECT_DOUBLE_EQ(s.p95, 6 + 0.65 * 3);
  EXPECT_DOUBLE_EQ(s.max, 9);
}

TEST(LinearFit, SlopeAndConfidenceIntervalMatchTextbookFormulas) {
  const std::vector<double> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::vector<double> y = {10.1, 11.9, 14.2, 15.8, 18.1, 20.0, 21.7, 24.3, 26.0, 27.9};
  const LinearFit fit = fit_line(x, y);
  EXPECT_NEAR(fit.slope, 1.993939393939394, 1e-12);
  EXPECT_NEAR(fit.intercept, 10.027272727272727, 1e-12);
  // t(0.975, 8) = 2.3060 times the slope's standard error 0.0212121...
  EXPECT_NEAR(fit.slope_half_width_95, 0.04891515151515156, 1e-6);
}

TEST(LinearFit, ExactLineHasZeroWidthAndTooFewPointsHaveNone) {
  const LinearFit exact = fit_line(std::vector<double>{1, 2, 3, 4}, std::vector<double>{5, 7, 9, 11});
  EXPECT_DOUBLE_EQ(exact.slope, 2);
  EXPECT_NEAR(exact.slope_half_width_95, 0, 1e-12);
  const LinearFit two = fit_line(std::vector<double>{1, 2}, std::vector<double>{1, 3});
  EXPECT_DOUBLE_EQ(two.slope, 2);
  EXPECT_TRUE(std::isinf(two.slope_half_width_95));
}

TEST(StudentT, MatchesPublishedQuantiles) {
  EXPECT_NEAR(student_t_975(1), 12.706, 1e-3);
  EXPECT_NEAR(student_t_975(8), 2.306, 1e-3);
  EXPECT_NEAR(student_t_975(40), 2.0211, 1e-3);
  EXPECT_NEAR(student_t_975(120), 1.9799, 1e-3);
  EXPECT_NEAR(student_t_975(100000), 1.95996, 1e-4);
}

RequestRecord record(double ttft, double e2e, int64_t tokens, bool ok = true) {
  RequestRecord r;
  r.ok = ok;
  r.failure = ok ? "" : "http 503";
  r.ttft_s = ttft;
  r.e2e_s = e2e;
  r.output_tokens = tokens;
  r.prompt_tokens = 10;
  return r;
}

TEST(Goodput, CountsOnlySuccessfulRequestsWithinEverySlo) {
  auto slo = parse_slo("ttft=100ms,tpot=10ms");
  ASSERT_TRUE(slo.ok()) << slo.error().message;
  // tpot = (e2e - ttft) / (tokens - 1)
  const std::vector<RequestRecord> records = {
      record(0.05, 0.05 + 0.009 * 10, 11),  // meets both
      record(0.20, 0.20 + 0.005 * 10, 11),  // TTFT too slow
      record(0.05, 0.05 + 0.020 * 10, 11),  // TPOT too slow
      record(0.01, 0.02, 2, false),         // failed
  };
  const RunSummary summary = summarize_run(records, 2.0, *slo);
  EXPECT_EQ(summary.completed, 3u);
  EXPECT_EQ(summary.failed, 1u);
  EXPECT_EQ(summary.failures.at("http 503"), 1u);
  ASSERT_TRUE(summary.goodput.has_value());
  EXPECT_DOUBLE_EQ(*summary.goodput, 0.5);  // one good request in two seconds
  EXPECT_DOUBLE_EQ(summary.request_throughput, 1.5);
  EXPECT_DOUBLE_EQ(summary.output_throughput, 33.0 / 2);
  EXPECT_FALSE(parse_slo("ttft=fast").ok());
  EXPECT_FALSE(parse_slo("latency=1s").ok());
}

}  // namespace
}  // namespace keel::bench
