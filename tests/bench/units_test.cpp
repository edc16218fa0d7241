#include <gtest/gtest.h>

#include <cmath>

#include "bench/units.h"

namespace keel::bench {
namespace {

TEST(Duration, ReadsEveryUnit) {
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("90s"), 90);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("30m"), 1800);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("24h"), 86400);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("250ms"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds("2d"), 172800);
  EXPECT_DOUBLE_EQ(*parse_duration_seconds(" 10 min "), 600);
}

TEST(Duration, RejectsNonsense) {
  for (const char* bad : {"", "s", "ten", "10x", "-5s", "10 hours", "nan"})
    EXPECT_FALSE(parse_duration_seconds(bad).ok()) << bad;
}

TEST(Rate, AcceptsInfinity) {
  EXPECT_TRUE(std::isinf(*parse_rate("inf")));
  EXPECT_DOUBLE_EQ(*parse_rate("2.5"), 2.5);
  EXPECT_FALSE(parse_rate("0").ok());
  EXPECT_FALSE(parse_rate("fast").ok());
}

TEST(Percent, WithOrWithoutSign) {
  EXPECT_DOUBLE_EQ(*parse_percent("5%"), 5);
  EXPECT_DOUBLE_EQ(*parse_percent("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_percent("20%/h"), 20);
  EXPECT_FALSE(parse_percent("5 percent").ok());
}

TEST(KeyValues, KeepsOrderAndRejectsDuplicates) {
  auto pairs = parse_key_values("ttft=500ms, tpot = 50ms");
  ASSERT_TRUE(pairs.ok());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[1].first, "tpot");
  EXPECT_EQ((*pairs)[1].second, "50ms");
  EXPECT_FALSE(parse_key_values("a=1,a=2").ok());
  EXPECT_FALSE(parse_key_values("a").ok());
  EXPECT_FALSE(parse_key_values("=1").ok());
}

TEST(FormatDuration, ReadsLikeAClock) {
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(245), "4m 05s");
  EXPECT_EQ(format_duration(3723), "1h 02m 03s");
}

}  // namespace
}  // namespace keel::bench
