// parse_http_request: the transport's parser, limits and rejections on
// bytes in hand (the live connection runs the same code, http_server.cpp).
#include "server/http_request_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::server {
namespace {

using Outcome = HttpParseResult::Outcome;

constexpr size_t kHeader = 1024, kBody = 64;

TEST(HttpRequestParse, RequestWithBodyAndLowerCaseHeaders) {
  const std::string bytes =
      "POST /v1/completions?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer k\r\nContent-Length: 5\r\n\r\nhello"
      "GET /health HTTP/1.1\r\n\r\n";
  const HttpParseResult parsed = parse_http_request(bytes, kHeader, kBody);
  ASSERT_EQ(parsed.outcome, Outcome::kRequest) << parsed.message;
  EXPECT_EQ(parsed.request.method, "POST");
  EXPECT_EQ(parsed.request.path(), "/v1/completions");
  EXPECT_EQ(parsed.request.header("authorization"), "Bearer k");
  EXPECT_EQ(parsed.request.body, "hello");
  EXPECT_TRUE(parsed.keep_alive);
  EXPECT_EQ(parsed.consumed, bytes.find("GET")) << "a pipelined request stays for the next parse";
}

TEST(HttpRequestParse, ChunkedBodyIsJoined) {
  const std::string bytes = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  const HttpParseResult parsed = parse_http_request(bytes, kHeader, kBody);
  ASSERT_EQ(parsed.outcome, Outcome::kRequest) << parsed.message;
  EXPECT_EQ(parsed.request.body, "abcde");
}

TEST(HttpRequestParse, IncompleteInputAsksForMore) {
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nHost:", kHeader, kBody).outcome, Outcome::kIncomplete);
  EXPECT_EQ(parse_http_request("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc", kHeader, kBody).outcome,
            Outcome::kIncomplete);
  EXPECT_EQ(parse_http_request("", kHeader, kBody).outcome, Outcome::kIncomplete);
}

TEST(HttpRequestParse, LimitsAndGarbageAreRejectedWithTheirStatus) {
  const HttpParseResult declared =
      parse_http_request("POST / HTTP/1.1\r\nContent-Length: 65\r\n\r\n", kHeader, kBody);
  EXPECT_EQ(declared.outcome, Outcome::kRejected);
  EXPECT_EQ(declared.status, 413);
  EXPECT_NE(declared.message.find("64 bytes"), std::string::npos) << declared.message;

  const std::string chunks = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') +
                             "\r\n1\r\nb\r\n0\r\n\r\n";
  EXPECT_EQ(parse_http_request(chunks, kHeader, kBody).status, 413) << "a chunked body is counted as it comes";

  const std::string big_head = "GET / HTTP/1.1\r\nX: " + std::string(2000, 'h') + "\r\n\r\n";
  EXPECT_EQ(parse_http_request(big_head, kHeader, kBody).status, 431);

  const HttpParseResult garbage = parse_http_request("\x01\x02 nonsense\r\n\r\n", kHeader, kBody);
  EXPECT_EQ(garbage.outcome, Outcome::kRejected);
  EXPECT_EQ(garbage.status, 400);
  EXPECT_NE(garbage.message.find("malformed HTTP request"), std::string::npos) << garbage.message;
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", kHeader, kBody).status, 400);
}

}  // namespace
}  // namespace keel::server
