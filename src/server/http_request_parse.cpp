#include "server/http_request_parse.h"

#include <boost/asio/buffer.hpp>

#include "server/http_request_reading.h"

namespace keel::server {

HttpParseResult parse_http_request(std::string_view bytes, size_t max_header_bytes, size_t max_body_bytes) {
  HttpParseResult result;
  BeastRequestParser parser;
  limit_request_parser(parser, max_header_bytes, max_body_bytes);
  parser.eager(true);
  boost::system::error_code error;
  size_t used = 0;
  bool length_checked = false;
  while (!parser.is_done()) {
    const size_t step = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), error);
    used += step;
    if (error == boost::beast::http::error::need_more) {
      error = {};
      if (used >= bytes.size() || step == 0) return result;  // kIncomplete
    } else if (error) {
      break;
    } else if (step == 0) {
      return result;  // kIncomplete: nothing more to take
    }
    if (parser.is_header_done() && !length_checked) {
      length_checked = true;
      if (auto rejected = check_declared_length(parser, max_body_bytes)) {
        result.outcome = HttpParseResult::Outcome::kRejected;
        result.status = rejected->status;
        result.message = std::move(rejected->message);
        return result;
      }
    }
  }
  if (error) {
    if (auto rejected = rejection_for(error, max_body_bytes)) {
      result.outcome = HttpParseResult::Outcome::kRejected;
      result.status = rejected->status;
      result.message = std::move(rejected->message);
    }
    return result;
  }
  result.outcome = HttpParseResult::Outcome::kRequest;
  result.keep_alive = parser.keep_alive();
  result.consumed = used;
  result.request = to_http_request(parser.release());
  return result;
}

}  // namespace keel::server
