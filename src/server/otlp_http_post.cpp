// The span exporter's transport: Beast's HTTP client over one Asio
// connection per export, on a private io_context, within a deadline (Beast's
// tcp_stream expiry; Asio's blocking calls have none).
#include "server/otlp_http_post.h"

#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace keel::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<OtlpEndpoint> parse_otlp_endpoint(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return Error{"--otlp-endpoint must be an http:// URL (OTLP/HTTP with JSON), got '" + std::string(url) + "'"};
  std::string_view rest = url.substr(kScheme.size());
  OtlpEndpoint endpoint;
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  endpoint.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (endpoint.path.empty() || endpoint.path == "/") endpoint.path = "/v1/traces";
  if (const size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return Error{"--otlp-endpoint has a bad port: '" + std::string(url) + "'"};
    endpoint.port = static_cast<uint16_t>(value);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return Error{"--otlp-endpoint names no host: '" + std::string(url) + "'"};
  endpoint.host = std::string(authority);
  return endpoint;
}

Status post_otlp_json(const OtlpEndpoint& endpoint, const std::string& body, std::chrono::milliseconds timeout) {
  const std::string where = endpoint.host + ":" + std::to_string(endpoint.port);
  try {
    net::io_context io;
    // The name first, blocking: this runs on the exporter's own thread, and a
    // lookup in flight cannot be cancelled anyway. Then one deadline for
    // connect, write and read together: past it the stream closes itself and
    // every pending operation ends with a timeout, so run() returns in time.
    net::ip::tcp::resolver resolver(io);
    beast::error_code failure;
    const auto addresses = resolver.resolve(endpoint.host, std::to_string(endpoint.port), failure);
    if (failure) return Error{"exporting spans: cannot resolve " + where + ": " + failure.message()};
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    http::request<http::string_body> request{http::verb::post, endpoint.path, 11};
    request.set(http::field::host, endpoint.host);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "keel");
    request.body() = body;
    request.prepare_payload();
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    auto note = [&failure](beast::error_code error) {
      if (error && !failure) failure = error;
      return !error;
    };
    // connect -> write -> read, each step after the last succeeded.
    stream.async_connect(addresses, [&](beast::error_code connected, const auto&) {
      if (!note(connected)) return;
      http::async_write(stream, request, [&](beast::error_code written, size_t) {
        if (!note(written)) return;
        http::async_read(stream, buffer, response, [&](beast::error_code read, size_t) { note(read); });
      });
    });
    io.run();
    if (failure == beast::error::timeout)
      return Error{"the OTLP collector at " + where + " did not answer within " + std::to_string(timeout.count()) +
                   " ms"};
    if (failure) return Error{"exporting spans to " + where + " failed: " + failure.message()};
    if (response.result_int() / 100 != 2)
      return Error{"the OTLP collector answered " + std::to_string(response.result_int()) + ": " +
                   response.body().substr(0, 200)};
    return ok_status();
  } catch (const std::exception& error) {  // Asio throws when it cannot get a descriptor (a connection flood)
    return Error{"exporting spans to " + where + " failed: " + error.what()};
  }
}

}  // namespace keel::server
