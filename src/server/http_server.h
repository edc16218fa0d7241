// HttpServer: HTTP/1.1 over a small fixed set of I/O threads (one
// io_context each; a connection lives on one thread, so its state needs no
// locks). Keep-alive, header/body/idle timeouts and size limits are
// enforced here, before any handler sees a byte.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/http_message.h"

namespace keel::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int io_threads = 2;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10000};  // whole request head, from its first byte
  std::chrono::milliseconds body_timeout{30000};    // whole body
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30000};   // each write to a slow reader
  size_t max_connections = 10000;
  // Renders transport-level errors (400, 408, 413, 431) in the API's shape.
  std::function<HttpResponse(int status, const std::string& message)> error_response;
  // Observers for metrics; may be empty.
  std::function<void(int delta)> on_connection;
  std::function<void(int status)> on_transport_error;
};

class HttpServer {
 public:
  // Binds and listens; no threads run until start().
  static Result<std::unique_ptr<HttpServer>> listen(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();

  uint16_t port() const;
  void start();
  // Closes the listening socket; open connections carry on.
  void stop_accepting();
  // Stops every I/O thread and closes every connection.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::server
