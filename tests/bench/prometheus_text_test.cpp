#include <gtest/gtest.h>

#include <cmath>

#include "bench/prometheus_text.h"

namespace keel::bench {
namespace {

TEST(PrometheusText, ParsesSamplesLabelsAndSpecialValues) {
  const char* text =
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 1.2345e+08\n"
      "keel:kv_blocks{state=\"free\"} 90\n"
      "keel:kv_blocks{state=\"used\",pool=\"a\\\"b\"} 6 1700000000000\n"
      "keel:e2e_request_latency_seconds_bucket{le=\"+Inf\"} 12\n"
      "weird_value +Inf\r\n"
      "\n";
  auto parsed = parse_prometheus_text(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_DOUBLE_EQ(*parsed->value("process_resident_memory_bytes"), 1.2345e8);
  EXPECT_DOUBLE_EQ(*parsed->value("keel:kv_blocks", {{"state", "free"}}), 90);
  EXPECT_DOUBLE_EQ(*parsed->value("keel:kv_blocks", {{"pool", "a\"b"}}), 6);
  EXPECT_DOUBLE_EQ(*parsed->sum("keel:kv_blocks"), 96);
  EXPECT_DOUBLE_EQ(*parsed->value("keel:e2e_request_latency_seconds_bucket", {{"le", "+Inf"}}), 12);
  EXPECT_TRUE(std::isinf(*parsed->value("weird_value")));
  EXPECT_FALSE(parsed->value("missing").has_value());
  EXPECT_FALSE(parsed->value("keel:kv_blocks", {{"state", "gone"}}).has_value());
}

TEST(PrometheusText, NamesTheBadLine) {
  auto parsed = parse_prometheus_text("ok 1\nbroken{state=\"x\" 2\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_prometheus_text("name notanumber\n").ok());
  EXPECT_FALSE(parse_prometheus_text("{a=\"b\"} 1\n").ok());
}

}  // namespace
}  // namespace keel::bench
