// The pieces between the socket and the timings: chunked decoding, SSE
// events, URLs, request bodies, workloads.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bench/arrival_schedule.h"
#include "bench/chunked_decoder.h"
#include "bench/http_client.h"
#include "bench/openai_client.h"
#include "bench/sse_parser.h"
#include "bench/workload.h"

namespace keel::bench {
namespace {

TEST(Chunked, DecodesAcrossArbitrarySplits) {
  const std::string wire = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
  for (size_t step = 1; step <= wire.size(); ++step) {
    ChunkedDecoder decoder;
    std::string body;
    for (size_t at = 0; at < wire.size(); at += step)
      ASSERT_TRUE(decoder.feed(std::string_view(wire).substr(at, step), [&](std::string_view b) { body += b; }).ok());
    EXPECT_EQ(body, "hello, world");
    EXPECT_TRUE(decoder.finished());
  }
  ChunkedDecoder bad;
  EXPECT_FALSE(bad.feed("zz\r\n", [](std::string_view) {}).ok());
  ChunkedDecoder cut;
  ASSERT_TRUE(cut.feed("5\r\nhel", [](std::string_view) {}).ok());
  EXPECT_FALSE(cut.finished());
}

TEST(Sse, SplitsEventsAndJoinsDataLines) {
  SseParser parser;
  std::vector<std::string> events;
  const auto sink = [&](std::string_view data) { events.emplace_back(data); };
  parser.feed(": comment\r\ndata: {\"a\":1}\r\n\r\ndata: x\ndata:y\n", sink);
  EXPECT_EQ(events.size(), 1u);
  parser.feed("\ndata: [DONE]\n\n", sink);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], "{\"a\":1}");
  EXPECT_EQ(events[1], "x\ny");
  EXPECT_EQ(events[2], "[DONE]");
  parser.feed("data: cut", sink);
  EXPECT_TRUE(parser.flush(sink));
  EXPECT_EQ(events.back(), "cut");
}

TEST(Url, ParsesHostPortAndPrefix) {
  auto url = parse_url("http://127.0.0.1:8080/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "");
  auto prefixed = parse_url("http://example.com/api/");
  ASSERT_TRUE(prefixed.ok());
  EXPECT_EQ(prefixed->port, 80);
  EXPECT_EQ(prefixed->base_path, "/api");
  EXPECT_FALSE(parse_url("https://x").ok());
  EXPECT_FALSE(parse_url("http://x:notaport").ok());
  EXPECT_FALSE(parse_url("http://:80").ok());
}

TEST(RequestBody, AsksForAFixedLengthStream) {
  EndpointConfig config;
  config.model = "m";
  RequestSpec spec;
  spec.messages = {{"system", "s"}, {"user", "u"}};
  spec.output_tokens = 42;
  auto chat = nlohmann::json::parse(openai_request_body(config, spec));
  EXPECT_EQ(chat["max_tokens"], 42);
  EXPECT_EQ(chat["min_tokens"], 42);
  EXPECT_EQ(chat["ignore_eos"], true);
  EXPECT_EQ(chat["stream"], true);
  EXPECT_EQ(chat["stream_options"]["include_usage"], true);
  EXPECT_EQ(chat["messages"].size(), 2u);
  config.endpoint = Endpoint::kCompletions;
  auto completion = nlohmann::json::parse(openai_request_body(config, spec));
  EXPECT_EQ(completion["prompt"], "s\nu");
}

TEST(Workload, SameSeedSameRequestsAndLengthsInRange) {
  WorkloadOptions options;
  options.input_len = 100;
  options.range_ratio = 0.5;
  options.seed = 7;
  auto a = make_workload(options);
  auto b = make_workload(options);
  ASSERT_TRUE(a.ok() && b.ok());
  for (uint64_t i = 0; i < 20; ++i) {
    const RequestSpec ra = (*a)->request(i), rb = (*b)->request(i);
    EXPECT_EQ(ra.messages[0].content, rb.messages[0].content);
    const auto words = std::count(ra.messages[0].content.begin(), ra.messages[0].content.end(), ' ') + 1;
    EXPECT_GE(words, 50);
    EXPECT_LE(words, 150);
  }
  options.seed = 8;
  EXPECT_NE((*make_workload(options))->request(0).messages[0].content, (*a)->request(0).messages[0].content);
}

TEST(Workload, MultiturnResendsHistoryAndSharedPrefixSharesIt) {
  WorkloadOptions options;
  options.kind = "multiturn";
  options.turns = 3;
  options.conversations = 2;
  options.input_len = 5;
  options.output_len = 4;
  auto multiturn = make_workload(options);
  ASSERT_TRUE(multiturn.ok());
  // order: c0t0 c1t0 c0t1 c1t1 c0t2 c1t2
  const RequestSpec first = (*multiturn)->request(0), second_turn = (*multiturn)->request(2);
  EXPECT_EQ(first.conversation, second_turn.conversation);
  ASSERT_EQ(second_turn.messages.size(), 3u);
  EXPECT_EQ(second_turn.messages[0].content, first.messages[0].content);
  EXPECT_EQ(second_turn.messages[1].role, "assistant");
  options.kind = "shared-prefix";
  auto shared = make_workload(options);
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ((*shared)->request(0).messages[0].content, (*shared)->request(1).messages[0].content);
  EXPECT_NE((*shared)->request(0).messages[1].content, (*shared)->request(1).messages[1].content);
  options.kind = "jsonl";
  EXPECT_FALSE(make_workload(options).ok());  // no --dataset
  options.kind = "other";
  EXPECT_FALSE(make_workload(options).ok());
}

TEST(Arrivals, MeanGapIsOneOverRate) {
  for (const double burstiness : {0.5, 1.0, 4.0}) {
    ArrivalSchedule schedule(10, burstiness, 1);
    double total = 0;
    for (int i = 0; i < 20000; ++i) total += schedule.next_gap_seconds();
    EXPECT_NEAR(total / 20000, 0.1, 0.005) << burstiness;
  }
  ArrivalSchedule at_once(std::numeric_limits<double>::infinity(), 1, 1);
  EXPECT_EQ(at_once.next_gap_seconds(), 0);
}

}  // namespace
}  // namespace keel::bench
