#include "bench/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include "bench/chunked_decoder.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHead = 64 * 1024;
constexpr int kPollSliceMs = 100;  // how often a wait looks at the cancel flag

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { if (fd_ >= 0) ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Waits until `fd` is ready for `events`, the deadline passes or the
// request is cancelled.
Status wait_for(int fd, short events, const HttpRequest& request) {
  for (;;) {
    if (request.cancel && request.cancel->load()) return Error{"cancelled"};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(request.deadline - Clock::now()).count();
    if (left <= 0) return Error{"timed out"};
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, kPollSliceMs)));
    if (ready > 0) return ok_status();
    if (ready < 0 && errno != EINTR) return Error{std::string("poll: ") + std::strerror(errno)};
  }
}

Result<int> connect_to(const Url& url, const HttpRequest& request) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Error{"cannot resolve " + url.host + ": " + ::gai_strerror(rc)};
  std::string last_error = "no address";
  int connected = -1;
  for (addrinfo* a = found; a && connected < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      Status waited = wait_for(fd, POLLOUT, request);
      int socket_error = 0;
      socklen_t length = sizeof socket_error;
      if (waited.ok() && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length) == 0 && socket_error == 0) {
        connected = fd;
        break;
      }
      last_error = waited.ok() ? std::strerror(socket_error) : waited.error().message;
    } else {
      last_error = std::strerror(errno);
    }
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (connected < 0) return Error{"cannot connect to " + url.host + ":" + port + ": " + last_error};
  return connected;
}

Status send_all(int fd, std::string_view bytes, const HttpRequest& request) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      KEEL_TRY(wait_for(fd, POLLOUT, request));
    } else {
      return Error{std::string("send: ") + std::strerror(errno)};
    }
  }
  return ok_status();
}

// Reads what is available; 0 bytes means the peer closed the connection.
Result<size_t> receive_some(int fd, char* buffer, size_t capacity, const HttpRequest& request) {
  for (;;) {
    const ssize_t got = ::recv(fd, buffer, capacity, 0);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return Error{std::string("recv: ") + std::strerror(errno)};
    KEEL_TRY(wait_for(fd, POLLIN, request));
  }
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct ResponseHead {
  int status = 0;
  bool chunked = false;
  std::optional<uint64_t> content_length;
  std::string content_type;
};

Result<ResponseHead> parse_head(std::string_view head) {
  ResponseHead parsed;
  const size_t first_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, first_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
    return Error{"not an HTTP/1.x response: '" + std::string(status_line.substr(0, 40)) + "'"};
  const auto [end, error] = std::from_chars(status_line.data() + 9, status_line.data() + 12, parsed.status);
  if (error != std::errc() || end != status_line.data() + 12) return Error{"bad HTTP status line"};
  size_t at = first_end + 2;
  while (at < head.size()) {
    size_t line_end = head.find("\r\n", at);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(at, line_end - at);
    at = line_end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "transfer-encoding") parsed.chunked = lower(value).find("chunked") != std::string::npos;
    if (name == "content-type") parsed.content_type = std::string(value);
    if (name == "content-length") {
      uint64_t length = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), length).ec == std::errc())
        parsed.content_length = length;
    }
  }
  return parsed;
}

std::string serialize(const Url& url, const HttpRequest& request) {
  std::string out = request.method + " " + url.base_path + request.path + " HTTP/1.1\r\n";
  out += "Host: " + url.host + ":" + std::to_string(url.port) + "\r\n";
  out += "Connection: close\r\n";
  for (const auto& [name, value] : request.headers) out += name + ": " + value + "\r\n";
  if (!request.body.empty() || request.method == "POST")
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  out += "\r\n";
  out += request.body;
  return out;
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  if (!text.starts_with("http://"))
    return Error{"URL '" + std::string(text) + "' must start with http:// (TLS is not supported)"};
  text.remove_prefix(7);
  Url url;
  const size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  if (slash != std::string_view::npos) url.base_path = std::string(text.substr(slash));
  while (url.base_path.ends_with('/')) url.base_path.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), url.port);
    if (error != std::errc() || end != port.data() + port.size() || url.port == 0)
      return Error{"URL has a bad port '" + std::string(port) + "'"};
    authority = authority.substr(0, colon);
  }
  if (authority.starts_with('[') && authority.ends_with(']')) authority = authority.substr(1, authority.size() - 2);
  if (authority.empty()) return Error{"URL has no host"};
  url.host = std::string(authority);
  return url;
}

Result<HttpResponse> http_exchange(const Url& url, const HttpRequest& request, const BodySink& sink) {
  auto fd = connect_to(url, request);
  if (!fd.ok()) return fd.error();
  Socket socket(*fd);
  KEEL_TRY(send_all(socket.fd(), serialize(url, request), request));

  HttpResponse response;
  const BodySink deliver = sink ? sink : BodySink([&response](std::string_view bytes) { response.body.append(bytes); });
  std::string head;
  char buffer[16384];
  size_t head_end = std::string::npos;
  while (head_end == std::string::npos) {
    auto got = receive_some(socket.fd(), buffer, sizeof buffer, request);
    if (!got.ok()) return got.error();
    if (*got == 0) return Error{"connection closed before a response"};
    head.append(buffer, *got);
    head_end = head.find("\r\n\r\n");
    if (head_end == std::string::npos && head.size() > kMaxHead) return Error{"response head too large"};
  }
  auto parsed = parse_head(std::string_view(head).substr(0, head_end + 2));
  if (!parsed.ok()) return parsed.error();
  response.status = parsed->status;
  response.content_type = parsed->content_type;

  ChunkedDecoder chunked;
  uint64_t received = 0;
  // Hands body bytes on and says whether the body's framing is satisfied.
  auto take = [&](std::string_view bytes) -> Result<bool> {
    if (parsed->chunked) {
      KEEL_TRY(chunked.feed(bytes, deliver));
      return chunked.finished();
    }
    if (parsed->content_length) bytes = bytes.substr(0, static_cast<size_t>(*parsed->content_length - received));
    received += bytes.size();
    if (!bytes.empty()) deliver(bytes);
    return parsed->content_length && received >= *parsed->content_length;
  };
  if (parsed->content_length && *parsed->content_length == 0) {
    response.body_complete = true;
    return response;
  }
  auto done = take(std::string_view(head).substr(head_end + 4));
  while (done.ok() && !*done) {
    auto got = receive_some(socket.fd(), buffer, sizeof buffer, request);
    if (!got.ok() || *got == 0) {
      // Without framing, the end of the connection is the end of the body.
      response.body_complete = got.ok() && !parsed->chunked && !parsed->content_length;
      return response;
    }
    done = take(std::string_view(buffer, *got));
  }
  response.body_complete = done.ok();
  return response;
}

}  // namespace keel::bench
