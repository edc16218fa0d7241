// How the transport turns Beast's parse of a request into keel's terms:
// the parser's limits, the status a parse failure earns (400 malformed,
// 413 body over --max-body-bytes, 431 head over --max-header-bytes), and
// the HttpRequest handed to the API handlers. Shared by the connection
// loop (http_server.cpp) and parse_http_request (http_request_parse.h),
// which the HTTP fuzz target drives; only these files see Boost.Beast.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <boost/beast/http.hpp>

#include "server/http_message.h"

namespace keel::server {

using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

void limit_request_parser(BeastRequestParser& parser, size_t max_header_bytes, size_t max_body_bytes);

// The status and message a failed read earns, or nullopt for a hang-up or
// a timeout (nothing to answer).
struct TransportRejection {
  int status;
  std::string message;
};
std::optional<TransportRejection> rejection_for(const boost::system::error_code& error, size_t max_body_bytes);

// A declared Content-Length over the limit, checked as soon as the head is in.
std::optional<TransportRejection> check_declared_length(const BeastRequestParser& parser, size_t max_body_bytes);

// The parsed message as the handlers see it (header names in lower case).
HttpRequest to_http_request(BeastRequestParser::value_type message);

}  // namespace keel::server
