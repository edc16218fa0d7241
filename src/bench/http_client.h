// A small blocking HTTP/1.1 client for the load generator: one connection
// per exchange, the body handed over as the bytes arrive, a deadline and a
// cancel flag honoured while waiting. Plain sockets rather than Beast: the
// client needs only this much, and it keeps Boost out of keel_bench.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace keel::bench {

// An http:// base address, e.g. "http://127.0.0.1:8080" or "http://host/prefix".
struct Url {
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // without a trailing '/', may be empty
};

Result<Url> parse_url(std::string_view text);

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // appended to the Url's base_path
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;  // stop waiting when it turns true
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;               // only when no body sink was given
  bool body_complete = false;     // the body ended where its framing said it would
};

using BodySink = std::function<void(std::string_view)>;

// Sends `request` and reads the response. Body bytes go to `sink` as they
// arrive (or into HttpResponse::body without one). An Error means no
// response head was read: refused, timed out, cancelled, or not HTTP. A
// response cut short returns its status with body_complete false.
Result<HttpResponse> http_exchange(const Url& url, const HttpRequest& request, const BodySink& sink = {});

}  // namespace keel::bench
