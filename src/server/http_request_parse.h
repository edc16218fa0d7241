// parse_http_request: one HTTP/1.1 request from bytes already in hand,
// through the same Beast parser, limits and rejections as a live
// connection (http_request_reading.h). The HTTP fuzz target's entry point,
// and a way to test the transport's parsing without sockets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "server/http_message.h"

namespace keel::server {

struct HttpParseResult {
  enum class Outcome { kRequest, kIncomplete, kRejected };
  Outcome outcome = Outcome::kIncomplete;
  HttpRequest request;      // kRequest
  bool keep_alive = false;  // kRequest
  size_t consumed = 0;      // kRequest: bytes of this request (a pipelined next one follows)
  int status = 0;           // kRejected: 400, 413 or 431
  std::string message;      // kRejected
};

HttpParseResult parse_http_request(std::string_view bytes, size_t max_header_bytes, size_t max_body_bytes);

}  // namespace keel::server
