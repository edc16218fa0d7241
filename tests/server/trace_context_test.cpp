// W3C traceparent parsing and the sampling decision (server/trace_context),
// and the OTLP/JSON shape of spans (server/otlp_json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/otlp_json.h"
#include "server/request_spans.h"
#include "server/trace_context.h"

namespace keel::server {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, ParsesTheSpecificationsExample) {
  const auto parsed = parse_traceparent(kValid);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(to_hex(parsed->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(to_hex(parsed->parent_span_id), "00f067aa0ba902b7");
  EXPECT_EQ(parsed->flags, 1);
}

TEST(Traceparent, RefusesWhatTheSpecificationCallsInvalid) {
  const char* invalid[] = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",     // short
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // version 00 has nothing after the flags
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff is forbidden
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // all-zero parent id
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // wrong separator
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // a later version goes on only after '-'
  };
  for (const char* header : invalid) EXPECT_FALSE(parse_traceparent(header)) << header;
}

TEST(Traceparent, ALaterVersionMayCarryMoreFields) {
  const auto parsed = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(to_hex(parsed->parent_span_id), "00f067aa0ba902b7");
}

TEST(TraceContext, FollowsTheCallersSampledFlagWhateverTheRatio) {
  const TraceContext sampled = trace_context_for(kValid, 0.0);
  EXPECT_TRUE(sampled.sampled);
  ASSERT_TRUE(sampled.parent_span_id);
  EXPECT_EQ(to_hex(*sampled.parent_span_id), "00f067aa0ba902b7");
  EXPECT_FALSE(trace_context_for("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", 1.0).sampled);
}

TEST(TraceContext, ANewTraceIsSampledAtTheRatio) {
  EXPECT_TRUE(trace_context_for("", 1.0).sampled);
  EXPECT_FALSE(trace_context_for("", 0.0).sampled);
  int sampled = 0;
  constexpr int kTraces = 20000;
  for (int i = 0; i < kTraces; ++i) {
    const TraceContext context = trace_context_for("garbage", 0.1);
    EXPECT_FALSE(context.parent_span_id);
    sampled += context.sampled;
  }
  EXPECT_NEAR(static_cast<double>(sampled) / kTraces, 0.1, 0.015);  // 0.1 ± 7 standard deviations
}

TEST(TraceContext, NewIdsDifferAndAreNeverZero) {
  EXPECT_NE(new_trace_id(), new_trace_id());
  EXPECT_NE(new_span_id(), new_span_id());
  EXPECT_EQ(format_traceparent(parse_traceparent(kValid)->trace_id, parse_traceparent(kValid)->parent_span_id, true),
            kValid);
}

TEST(RequestSpans, AServedRequestHasAServerSpanAndThreeStages) {
  TraceContext trace = trace_context_for(kValid, 0.0);
  AccessRecord record;
  record.method = "POST";
  record.path = "/v1/completions";
  record.status = 200;
  record.prompt_tokens = 12;
  record.cached_tokens = 4;
  record.completion_tokens = 7;
  record.queue_seconds = 0.010;
  record.ttft_seconds = 0.030;
  record.total_seconds = 0.100;
  const auto arrived = std::chrono::steady_clock::now();
  const std::vector<Span> spans = request_spans(trace, record, arrived);
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].name, "POST /v1/completions");
  EXPECT_EQ(spans[0].kind, SpanKind::kServer);
  EXPECT_NEAR(static_cast<double>(spans[0].end_unix_ns - spans[0].start_unix_ns), 100'000'000.0, 2);
  const char* names[] = {"queued", "prefill", "decode"};
  const uint64_t lengths[] = {10'000'000, 20'000'000, 70'000'000};
  uint64_t at = spans[0].start_unix_ns;
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(spans[i].name, names[i - 1]);
    EXPECT_EQ(spans[i].parent_span_id, spans[0].span_id);
    EXPECT_NEAR(static_cast<double>(spans[i].start_unix_ns), static_cast<double>(at), 2);
    EXPECT_NEAR(static_cast<double>(spans[i].end_unix_ns - spans[i].start_unix_ns), static_cast<double>(lengths[i - 1]), 2);
    at = spans[i].end_unix_ns;
  }
}

TEST(RequestSpans, ARequestThatNeverRanIsTheServerSpanAlone) {
  AccessRecord record;
  record.method = "POST";
  record.path = "/v1/chat/completions";
  record.status = 503;
  record.error = "the engine failed";
  record.total_seconds = 0.001;
  const std::vector<Span> spans = request_spans(trace_context_for("", 1.0), record, std::chrono::steady_clock::now());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_FALSE(spans[0].parent_span_id);
  EXPECT_TRUE(spans[0].error);
  EXPECT_EQ(spans[0].error_message, "the engine failed");
}

TEST(OtlpJson, WritesIdsAsHexAndIntegersAsStrings) {
  Span span;
  span.trace_id = parse_traceparent(kValid)->trace_id;
  span.span_id = parse_traceparent(kValid)->parent_span_id;
  span.name = "decode";
  span.start_unix_ns = 1700000000123456789ull;
  span.end_unix_ns = 1700000000223456789ull;
  span.attributes = {{"gen_ai.usage.output_tokens", int64_t{7}}, {"url.path", std::string("/v1/completions")}};
  span.error = true;
  span.error_message = "boom";
  const auto body = nlohmann::json::parse(otlp_json_export_request({span}, "1.2.3"));
  const auto& resource = body["resourceSpans"][0];
  EXPECT_EQ(resource["resource"]["attributes"][0]["key"], "service.name");
  EXPECT_EQ(resource["resource"]["attributes"][0]["value"]["stringValue"], "keel");
  const auto& out = resource["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(out["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(out["spanId"], "00f067aa0ba902b7");
  EXPECT_FALSE(out.contains("parentSpanId"));
  EXPECT_EQ(out["kind"], 1);
  EXPECT_EQ(out["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(out["attributes"][0]["value"]["intValue"], "7");
  EXPECT_EQ(out["attributes"][1]["value"]["stringValue"], "/v1/completions");
  EXPECT_EQ(out["status"]["code"], 2);
  EXPECT_EQ(out["status"]["message"], "boom");
}

}  // namespace
}  // namespace keel::server
