#include "server/http_request_reading.h"

#include <cctype>

namespace keel::server {
namespace http = boost::beast::http;

void limit_request_parser(BeastRequestParser& parser, size_t max_header_bytes, size_t max_body_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
}

std::optional<TransportRejection> rejection_for(const boost::system::error_code& error, size_t max_body_bytes) {
  if (error == http::error::header_limit) return TransportRejection{431, "request headers are larger than the limit"};
  // Beast checks a Content-Length against the body limit with the head, and
  // a chunked body as it arrives.
  if (error == http::error::body_limit)
    return TransportRejection{413, "the request body is larger than " + std::to_string(max_body_bytes) + " bytes"};
  static const auto& http_category = make_error_code(http::error::end_of_stream).category();
  const bool malformed = error.category() == http_category && error != http::error::end_of_stream &&
                         error != http::error::partial_message && error != http::error::need_more;
  if (malformed) return TransportRejection{400, "malformed HTTP request: " + error.message()};
  return std::nullopt;
}

std::optional<TransportRejection> check_declared_length(const BeastRequestParser& parser, size_t max_body_bytes) {
  const auto length = parser.content_length();
  if (length && *length > max_body_bytes)
    return TransportRejection{413, "the request body is larger than " + std::to_string(max_body_bytes) + " bytes"};
  return std::nullopt;
}

HttpRequest to_http_request(BeastRequestParser::value_type message) {
  HttpRequest request;
  request.arrived = std::chrono::steady_clock::now();
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = std::move(message.body());
  return request;
}

}  // namespace keel::server
