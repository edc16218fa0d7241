// The server's small layers on their own: SSE framing, error bodies,
// metrics exposition, token buckets, per-key limits, API keys, config files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/api_keys.h"
#include "server/config_file.h"
#include "server/key_limiter.h"
#include "server/request_rate_limit.h"
#include "server/server_metrics.h"
#include "server/sse.h"
#include "server/token_bucket.h"

namespace keel::server {
namespace {

TEST(Sse, FramesEventsAndDone) {
  std::string out;
  append_sse_event(out, "{\"a\":1}");
  append_sse_done(out);
  EXPECT_EQ(out, "data: {\"a\":1}\n\ndata: [DONE]\n\n");
}

TEST(ApiErrorTest, OpenAiShape) {
  auto body = nlohmann::json::parse(bad_request("'n' is bad", "n").body());
  EXPECT_EQ(body["error"]["message"], "'n' is bad");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["param"], "n");
  EXPECT_EQ(too_many_requests("x", 2).type(), "rate_limit_error");
}

TEST(TokenBucketTest, RefillsAndReportsWait) {
  auto t0 = TokenBucket::Clock::now();
  TokenBucket bucket(2.0, 2.0, t0);
  EXPECT_EQ(bucket.try_take(1, t0), 0.0);
  EXPECT_EQ(bucket.try_take(1, t0), 0.0);
  EXPECT_NEAR(bucket.try_take(1, t0), 0.5, 1e-9);
  EXPECT_EQ(bucket.try_take(1, t0 + std::chrono::milliseconds(500)), 0.0);
  EXPECT_TRUE(std::isinf(bucket.try_take(5, t0)));
}

// --max-requests-per-second: one second's worth passes at once, the next
// waits 1/rate, and the bucket refills with time; a rate under one still
// lets one request through.
TEST(RequestRateLimitTest, OneSecondOfBurstThenTheRate) {
  const auto t0 = RequestRateLimit::Clock::now();
  RequestRateLimit limit(4.0, t0);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(limit.admit(t0).has_value()) << i;
  const auto refused = limit.admit(t0);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NEAR(*refused, 0.25, 1e-9);
  EXPECT_FALSE(limit.admit(t0 + std::chrono::milliseconds(250)).has_value());
  EXPECT_TRUE(limit.admit(t0 + std::chrono::milliseconds(260)).has_value());
  RequestRateLimit slow(0.5, t0);
  EXPECT_FALSE(slow.admit(t0).has_value());
  const auto wait = slow.admit(t0);
  ASSERT_TRUE(wait.has_value());
  EXPECT_NEAR(*wait, 2.0, 1e-9);
}

TEST(KeyLimiterTest, ConcurrencyAndRate) {
  KeyLimiter limiter({KeyPolicy{"a", "k", 0, 0, 2}, KeyPolicy{"b", "k2", 1, 0, 0}});
  EXPECT_FALSE(limiter.admit(0, 10));
  EXPECT_FALSE(limiter.admit(0, 10));
  auto refused = limiter.admit(0, 10);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, RejectReason::kConcurrencyLimit);
  limiter.release(0);
  EXPECT_FALSE(limiter.admit(0, 10));
  auto now = TokenBucket::Clock::now();
  EXPECT_FALSE(limiter.admit(1, 1, now));
  auto rate = limiter.admit(1, 1, now);
  ASSERT_TRUE(rate);
  EXPECT_EQ(rate->reason, RejectReason::kRateLimit);
  EXPECT_GT(rate->retry_after, 0.0);
}

TEST(ApiKeysTest, ConstantTimeCompareAndLookup) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secreT", "secret"));
  EXPECT_FALSE(constant_time_equal("secret-longer", "secret"));
  EXPECT_FALSE(constant_time_equal("", "secret"));
  ApiKeys keys({KeyPolicy{"alice", "sk-a", 0, 0, 0}, KeyPolicy{"bob", "sk-b", 0, 0, 0}});
  EXPECT_EQ(keys.find("sk-b"), 1u);
  EXPECT_FALSE(keys.find("sk-c"));
  EXPECT_EQ(bearer_token("Bearer sk-a"), "sk-a");
  std::vector<KeyPolicy> parsed;
  EXPECT_FALSE(parse_api_key_file("# comment\nsk-1\nbob sk-2\n", parsed));
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].name, "bob");
}

TEST(ApiKeysTest, BasicAuthGivesThePasswordAsTheKey) {
  // base64("me:sk-page") and base64(":a:b:c"): the password is all after the first colon.
  EXPECT_EQ(basic_auth_password("Basic bWU6c2stcGFnZQ=="), "sk-page");
  EXPECT_EQ(basic_auth_password("basic  bWU6c2stcGFnZQ "), "sk-page");
  EXPECT_EQ(basic_auth_password("Basic OmE6YjpjOg=="), "a:b:c:");
  EXPECT_FALSE(basic_auth_password("Bearer sk-a"));
  EXPECT_FALSE(basic_auth_password("Basic bWU!c2stcGFnZQ=="));  // not base64
  EXPECT_FALSE(basic_auth_password("Basic bWVzay1wYWdl"));      // "mesk-page": no colon
  EXPECT_FALSE(basic_auth_password("Basic Q"));                 // one lone character
  EXPECT_FALSE(basic_auth_password("Basic"));
}

TEST(ConfigFileTest, OptionsAndKeys) {
  auto config = parse_config_text("port = 9000\nmax_queue = 4\n[keys.alice]\nkey = \"sk\"\nmax_concurrent = 2\n", "t");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->options.size(), 2u);
  // toml++ iterates keys in sorted order.
  EXPECT_EQ(config->options[0].first, "max-queue");
  EXPECT_EQ(config->options[1].first, "port");
  ASSERT_EQ(config->keys.size(), 1u);
  EXPECT_EQ(config->keys[0].max_concurrent, 2);
  EXPECT_FALSE(parse_config_text("[keys.alice]\nkey = \"sk\"\nbogus = 1\n", "t").ok());
  EXPECT_FALSE(parse_config_text("port = = 3", "t").ok());
}

TEST(Metrics, RendersEveryFamily) {
  ServerMetrics metrics;
  metrics.time_to_first_token.observe(0.05);
  metrics.count_rejection(RejectReason::kQueueFull);
  EngineStats stats;
  stats.blocks_total = 10;
  stats.blocks_used = 5;
  MetricsInputs inputs;
  inputs.engine = &stats;
  inputs.server = &metrics;
  inputs.version = "0.1.0";
  std::string text = render_metrics(inputs);
  for (const char* name : {"keel:time_to_first_token_seconds_bucket{le=\"0.06\"} 1", "keel:kv_cache_usage_perc 0.5",
                           "keel:requests_rejected_total{reason=\"queue_full\"} 1", "keel:num_requests_running",
                           "keel:prefix_cache_hits_total", "process_resident_memory_bytes",
                           "keel:request_success_total{finished_reason=\"stop\"} 0"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
}

}  // namespace
}  // namespace keel::server
