// The HTTP vocabulary shared by the transport (http_server.cpp, the only
// file that sees Boost.Beast) and the API handlers: a parsed request, a
// complete response, and a deferred response that is produced over time
// (a completion waiting on the engine, an SSE stream).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace keel::server {

struct HttpRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::chrono::steady_clock::time_point arrived;

  // The first header named `lower_name`, or "" when absent.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers)
      if (name == lower_name) return value;
    return {};
  }
  std::string_view path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close_connection = false;
};

// What a deferred response has ready when the transport polls it.
struct DeferredOutput {
  // Set once. For a stream the transport sends these headers with chunked
  // encoding and `chunk` bytes follow; otherwise `head` is the whole response.
  std::optional<HttpResponse> head;
  bool streaming = false;
  std::string chunk;   // stream bytes to send now
  bool done = false;   // nothing more will come
};

// A response produced over time. All methods are called on the
// connection's I/O thread, except the wake function, which the response may
// call from any thread (it only schedules a poll).
class DeferredResponse {
 public:
  virtual ~DeferredResponse() = default;
  // Called once before the first poll.
  virtual void start(std::function<void()> wake) = 0;
  // Fills `out` with whatever is ready; an empty `out` means "wake me later".
  virtual void poll(DeferredOutput& out) = 0;
  // Poll at this time even without a wake (a queue deadline); max() for none.
  virtual std::chrono::steady_clock::time_point next_deadline() const {
    return std::chrono::steady_clock::time_point::max();
  }
  // The client went away (or the write failed): release everything now.
  virtual void abandon() = 0;
};

using HandlerResult = std::variant<HttpResponse, std::shared_ptr<DeferredResponse>>;
using HttpHandler = std::function<HandlerResult(HttpRequest&)>;

}  // namespace keel::server
