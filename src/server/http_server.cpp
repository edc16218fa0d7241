// The HTTP transport: Boost.Beast's parser and serializer on Boost.Asio
// C++20 coroutines. This is the only translation unit that includes Beast
// (it is the slowest header set in the build).
//
// One coroutine per connection runs on one io_context, so a connection's
// state is touched by one thread only. A deferred response (a completion)
// is driven by a loop that sleeps on a timer; the engine's notifier posts a
// cancel of that timer to wake it, and a wait-for-readable on the socket
// notices a client that hangs up while it waits.
#include "server/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/log.h"
#include "server/http_request_reading.h"

namespace keel::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr auto kUseAwaitable = net::use_awaitable_t<>{};

// Shared between a deferred response's driver, its notifier (any thread)
// and the disconnect watcher. Only `pending` is touched off the I/O thread.
struct WakeState {
  explicit WakeState(net::any_io_executor executor) : timer(executor) {}
  net::steady_timer timer;
  std::atomic<bool> pending{false};
  bool watching = true;       // the driver still cares about the watcher
  bool disconnected = false;  // the client hung up
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<size_t> connections{0};
  size_t next_context = 0;
  uint16_t port = 0;

  net::awaitable<void> accept_loop();
  net::awaitable<void> session(tcp::socket socket);
  net::awaitable<bool> write_response(beast::tcp_stream& stream, HttpResponse response, bool keep_alive);
  net::awaitable<bool> drive(beast::tcp_stream& stream, std::shared_ptr<DeferredResponse> deferred, bool keep_alive);
  HttpResponse transport_error(int status, const std::string& message) {
    if (options.on_transport_error) options.on_transport_error(status);
    HttpResponse response = options.error_response ? options.error_response(status, message) : HttpResponse{};
    if (!options.error_response) {
      response.status = status;
      response.content_type = "text/plain";
      response.body = message;
    }
    response.close_connection = true;
    return response;
  }
};

namespace {

void watch_for_disconnect(tcp::socket& socket, const std::shared_ptr<WakeState>& wake) {
  socket.async_wait(tcp::socket::wait_read, [&socket, wake](const error_code& error) {
    if (error || !wake->watching) return;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      wake->disconnected = true;
      wake->timer.cancel();
    }
    // n > 0: the client sent its next request early; it waits in the socket.
  });
}

std::string chunk_frame(const std::string& data) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string frame = size;
  frame += data;
  frame += "\r\n";
  return frame;
}

template <class Fields>
void set_headers(Fields& message, const HttpResponse& response) {
  message.set(http::field::server, "keel");
  message.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.set(name, value);
}

}  // namespace

net::awaitable<bool> HttpServer::Impl::write_response(beast::tcp_stream& stream, HttpResponse response,
                                                      bool keep_alive) {
  http::response<http::string_body> message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  set_headers(message, response);
  const bool keep = keep_alive && !response.close_connection;
  message.keep_alive(keep);
  message.body() = std::move(response.body);
  message.prepare_payload();
  error_code error;
  stream.expires_after(options.write_timeout);
  co_await http::async_write(stream, message, net::redirect_error(kUseAwaitable, error));
  stream.expires_never();
  co_return !error && keep;
}

net::awaitable<bool> HttpServer::Impl::drive(beast::tcp_stream& stream, std::shared_ptr<DeferredResponse> deferred,
                                             bool keep_alive) {
  auto executor = stream.get_executor();
  auto wake = std::make_shared<WakeState>(executor);
  deferred->start([wake, executor] {
    if (!wake->pending.exchange(true)) net::post(executor, [wake] { wake->timer.cancel(); });
  });
  watch_for_disconnect(stream.socket(), wake);

  bool streaming = false, keep = keep_alive, ok = true;
  for (;;) {
    wake->pending.store(false);
    DeferredOutput out;
    deferred->poll(out);
    error_code error;
    if (out.head && !out.streaming) {
      wake->watching = false;
      ok = co_await write_response(stream, std::move(*out.head), keep);
      break;
    }
    if (out.head) {
      streaming = true;
      keep = keep && !out.head->close_connection;
      http::response<http::empty_body> head;
      head.version(11);
      head.result(static_cast<unsigned>(out.head->status));
      set_headers(head, *out.head);
      head.set(http::field::cache_control, "no-cache");
      head.keep_alive(keep);
      head.chunked(true);
      http::response_serializer<http::empty_body> serializer(head);
      stream.expires_after(options.write_timeout);
      co_await http::async_write_header(stream, serializer, net::redirect_error(kUseAwaitable, error));
    }
    if (!error && streaming && !out.chunk.empty()) {
      stream.expires_after(options.write_timeout);
      co_await net::async_write(stream, net::buffer(chunk_frame(out.chunk)), net::redirect_error(kUseAwaitable, error));
    }
    if (!error && streaming && out.done) {
      stream.expires_after(options.write_timeout);
      static const std::string kLastChunk = "0\r\n\r\n";
      co_await net::async_write(stream, net::buffer(kLastChunk), net::redirect_error(kUseAwaitable, error));
      stream.expires_never();
      ok = !error && keep;
      break;
    }
    stream.expires_never();
    if (error || wake->disconnected) {
      deferred->abandon();
      ok = false;
      break;
    }
    if (out.head || !out.chunk.empty()) continue;  // poll again before sleeping
    wake->timer.expires_at(deferred->next_deadline());
    co_await wake->timer.async_wait(net::redirect_error(kUseAwaitable, error));
  }
  wake->watching = false;
  error_code ignored;
  stream.socket().cancel(ignored);  // the watcher's wait
  co_return ok;
}

net::awaitable<void> HttpServer::Impl::session(tcp::socket socket) {
  if (options.on_connection) options.on_connection(+1);
  struct Leave {
    Impl* impl;
    ~Leave() {
      impl->connections.fetch_sub(1);
      if (impl->options.on_connection) impl->options.on_connection(-1);
    }
  } leave{this};

  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(options.max_header_bytes + 64 * 1024);
  bool first = true;
  for (;;) {
    error_code error;
    // Wait for the request's first byte: a fresh connection gets the header
    // timeout, a kept-alive one the idle timeout.
    if (buffer.size() == 0) {
      stream.expires_after(first ? options.header_timeout : options.idle_timeout);
      size_t n = co_await stream.async_read_some(buffer.prepare(4096), net::redirect_error(kUseAwaitable, error));
      if (error) break;
      buffer.commit(n);
    }
    first = false;

    BeastRequestParser parser;
    limit_request_parser(parser, options.max_header_bytes, options.max_body_bytes);
    stream.expires_after(options.header_timeout);
    co_await http::async_read_header(stream, buffer, parser, net::redirect_error(kUseAwaitable, error));
    if (error) {
      if (auto rejected = rejection_for(error, options.max_body_bytes))
        co_await write_response(stream, transport_error(rejected->status, rejected->message), false);
      break;  // timeouts and hang-ups: the stream is already closed
    }
    if (auto rejected = check_declared_length(parser, options.max_body_bytes)) {
      co_await write_response(stream, transport_error(rejected->status, rejected->message), false);
      break;
    }
    if (parser.get()[http::field::expect] == "100-continue") {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await net::async_write(stream, net::buffer(kContinue), net::redirect_error(kUseAwaitable, error));
      if (error) break;
    }
    stream.expires_after(options.body_timeout);
    co_await http::async_read(stream, buffer, parser, net::redirect_error(kUseAwaitable, error));
    stream.expires_never();
    if (error) {
      if (auto rejected = rejection_for(error, options.max_body_bytes))
        co_await write_response(stream, transport_error(rejected->status, rejected->message), false);
      break;
    }

    const bool keep_alive = parser.keep_alive();
    HttpRequest request = to_http_request(parser.release());

    HandlerResult result;
    try {
      result = handler(request);
    } catch (const std::exception& exception) {
      spdlog::error("handler failed on {} {}: {}", request.method, request.target, exception.what());
      result = transport_error(500, "internal error");
    }
    bool keep = false;
    if (auto* response = std::get_if<HttpResponse>(&result))
      keep = co_await write_response(stream, std::move(*response), keep_alive);
    else
      keep = co_await drive(stream, std::get<std::shared_ptr<DeferredResponse>>(std::move(result)), keep_alive);
    if (!keep) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.socket().close(ignored);
}

net::awaitable<void> HttpServer::Impl::accept_loop() {
  for (;;) {
    net::io_context& context = *contexts[next_context++ % contexts.size()];
    tcp::socket socket(context);
    error_code error;
    co_await acceptor->async_accept(socket, net::redirect_error(kUseAwaitable, error));
    if (error) {
      if (error == net::error::operation_aborted || !acceptor->is_open()) co_return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      net::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(net::redirect_error(kUseAwaitable, error));
      continue;
    }
    if (connections.fetch_add(1) >= options.max_connections) {
      connections.fetch_sub(1);
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), error);
    net::co_spawn(context, session(std::move(socket)), net::detached);
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen(HttpServerOptions options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const int threads = std::max(1, impl->options.io_threads);
  for (int i = 0; i < threads; ++i) impl->contexts.push_back(std::make_unique<net::io_context>(1));

  error_code error;
  auto address = net::ip::make_address(impl->options.host, error);
  if (error) return Error{"--host '" + impl->options.host + "' is not an IP address: " + error.message()};
  tcp::endpoint endpoint(address, impl->options.port);
  impl->acceptor = std::make_unique<tcp::acceptor>(*impl->contexts[0]);
  impl->acceptor->open(endpoint.protocol(), error);
  if (!error) impl->acceptor->set_option(net::socket_base::reuse_address(true), error);
  if (!error) impl->acceptor->bind(endpoint, error);
  if (!error) impl->acceptor->listen(net::socket_base::max_listen_connections, error);
  if (error)
    return Error{"cannot listen on " + impl->options.host + ":" + std::to_string(impl->options.port) + ": " +
                 error.message()};
  impl->port = impl->acceptor->local_endpoint().port();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::start() {
  net::co_spawn(*impl_->contexts[0], impl_->accept_loop(), net::detached);
  for (auto& context : impl_->contexts) {
    impl_->guards.push_back(net::make_work_guard(*context));
    impl_->threads.emplace_back([&context = *context] { context.run(); });
  }
}

void HttpServer::stop_accepting() {
  net::post(*impl_->contexts[0], [impl = impl_.get()] {
    error_code ignored;
    impl->acceptor->close(ignored);
  });
}

void HttpServer::stop() {
  if (impl_->threads.empty()) return;
  for (auto& context : impl_->contexts) context->stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->guards.clear();
}

}  // namespace keel::server
