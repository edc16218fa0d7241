#include <gtest/gtest.h>

#include "bench/compare.h"
#include "bench/result_file.h"

namespace keel::bench {
namespace {

nlohmann::json result(double throughput, double ttft_p99, double failed) {
  return {{"kind", kServeResultKind},
          {"metrics",
           {{"output_token_throughput", throughput},
            {"failed", failed},
            {"total_output_tokens", 1000},
            {"ttft_ms", {{"p99", ttft_p99}, {"count", 100}}}}}};
}

const MetricChange& find(const Comparison& c, const std::string& metric) {
  for (const auto& change : c.changes)
    if (change.metric == metric) return change;
  throw std::runtime_error("no metric " + metric);
}

TEST(Compare, KnowsWhichDirectionIsWorse) {
  EXPECT_EQ(better_direction("output_token_throughput"), Better::kHigher);
  EXPECT_EQ(better_direction("goodput"), Better::kHigher);
  EXPECT_EQ(better_direction("ttft_ms.p99"), Better::kLower);
  EXPECT_EQ(better_direction("failed"), Better::kLower);
  EXPECT_EQ(better_direction("ttft_ms.count"), Better::kNeither);
  EXPECT_EQ(better_direction("itl_ms.max"), Better::kNeither);
  EXPECT_EQ(better_direction("total_output_tokens"), Better::kNeither);
}

TEST(Compare, SlowerLatencyAndLowerThroughputAreRegressions) {
  auto c = compare_results(result(100, 50, 0), result(90, 60, 0), 5);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_NEAR(find(*c, "output_token_throughput").change_percent, -10, 1e-9);
  EXPECT_TRUE(find(*c, "output_token_throughput").regression);
  EXPECT_NEAR(find(*c, "ttft_ms.p99").change_percent, 20, 1e-9);
  EXPECT_TRUE(find(*c, "ttft_ms.p99").regression);
  EXPECT_FALSE(find(*c, "ttft_ms.count").regression);
  EXPECT_TRUE(c->has_regression());
}

TEST(Compare, ImprovementsAndSmallChangesPass) {
  auto better = compare_results(result(100, 50, 0), result(130, 40, 0), 5);
  ASSERT_TRUE(better.ok());
  EXPECT_FALSE(better->has_regression());
  EXPECT_TRUE(find(*better, "ttft_ms.p99").improvement);
  auto within = compare_results(result(100, 50, 0), result(96, 52, 0), 5);
  ASSERT_TRUE(within.ok());
  EXPECT_FALSE(within->has_regression());
  auto loose = compare_results(result(100, 50, 0), result(90, 60, 0), 25);
  ASSERT_TRUE(loose.ok());
  EXPECT_FALSE(loose->has_regression());
}

nlohmann::json with_memory(double start_mib, double peak_mib, double final_mib) {
  nlohmann::json document = result(100, 50, 0);
  const double mib = 1 << 20;
  document["metrics"]["server_memory"] = {{"rss_start_bytes", start_mib * mib},
                                          {"rss_peak_bytes", peak_mib * mib},
                                          {"rss_final_bytes", final_mib * mib},
                                          {"rss_growth_bytes", (final_mib - start_mib) * mib}};
  return document;
}

TEST(Compare, GatesOnTheServersMemory) {
  // Peak and final size compare as percentages of themselves.
  auto bigger = compare_results(with_memory(200, 210, 200), with_memory(200, 240, 230), 5);
  ASSERT_TRUE(bigger.ok());
  EXPECT_TRUE(find(*bigger, "server_memory.rss_peak_bytes").regression);
  EXPECT_TRUE(find(*bigger, "server_memory.rss_final_bytes").regression);
  EXPECT_FALSE(find(*bigger, "server_memory.rss_start_bytes").regression);  // where it started is context
  // Growth compares against the base's size: 0 -> 30 MiB on a 200 MiB server is +15%,
  EXPECT_NEAR(find(*bigger, "server_memory.rss_growth_bytes").change_percent, 15, 1e-9);
  EXPECT_TRUE(find(*bigger, "server_memory.rss_growth_bytes").regression);
  // ... while 40 KiB more growth (a page or ten) is noise, not +inf%.
  auto flat = compare_results(with_memory(200, 200, 200), with_memory(200, 200, 200.04), 5);
  ASSERT_TRUE(flat.ok());
  EXPECT_LT(find(*flat, "server_memory.rss_growth_bytes").change_percent, 0.1);
  EXPECT_FALSE(flat->has_regression());
}

TEST(Compare, FailuresFromZeroAreAlwaysRegressions) {
  auto c = compare_results(result(100, 50, 0), result(100, 50, 3), 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(find(*c, "failed").regression);
}

TEST(Compare, OnlyGatedMetricsCanRegress) {
  // Latency 20% worse and throughput 10% lower; gating on throughput alone
  // leaves the latency shown but passing.
  auto c = compare_results(result(100, 50, 0), result(90, 60, 0), 5, {"output_token_throughput"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(find(*c, "output_token_throughput").regression);
  EXPECT_FALSE(find(*c, "ttft_ms.p99").gated);
  EXPECT_FALSE(find(*c, "ttft_ms.p99").regression);
  // A group gates every percentile in it.
  auto latency = compare_results(result(100, 50, 0), result(100, 60, 0), 5, {"ttft_ms"});
  ASSERT_TRUE(latency.ok());
  EXPECT_TRUE(find(*latency, "ttft_ms.p99").regression);
  EXPECT_TRUE(latency->has_regression());
  EXPECT_NE(format_comparison(*c, 5).find("(not gated)"), std::string::npos);
}

TEST(Compare, GateNamesMustBeMetrics) {
  // "ttft" is not the group "ttft_ms": a prefix of a name matches nothing.
  auto c = compare_results(result(100, 50, 0), result(90, 60, 0), 5, {"ttft"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("\"ttft\""), std::string::npos) << c.error().message;
}

TEST(Compare, RejectsFilesThatAreNotResults) {
  EXPECT_FALSE(compare_results(nlohmann::json::object(), result(1, 1, 0), 5).ok());
  EXPECT_NE(format_comparison(*compare_results(result(100, 50, 0), result(90, 60, 0), 5), 5).find("REGRESSION"),
            std::string::npos);
}

}  // namespace
}  // namespace keel::bench
