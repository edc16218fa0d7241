#include "server/server.h"

#include <signal.h>
#include <sys/resource.h>

#include <cstdlib>
#include <thread>

#include "core/log.h"
#include "engine/engine.h"
#include "server/api_handlers.h"
#include "server/http_server.h"
#include "server/reasoning_stream.h"

namespace keel::server {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0));
}

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Waits up to `timeout` for SIGTERM/SIGINT; true when one arrived.
bool wait_for_signal(std::chrono::milliseconds timeout) {
  sigset_t set = shutdown_signals();
  timespec wait{static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1000000)};
  return sigtimedwait(&set, nullptr, &wait) > 0;
}

// Each connection is a descriptor; the usual soft limit (1024) would cap
// the server far below --max-connections. The hard limit is ours to take.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) spdlog::warn("cannot raise the open-file limit");
}

}  // namespace

Result<std::unique_ptr<Server>> Server::start(ServerConfig config) {
  raise_descriptor_limit();
  // Every thread created from here on inherits the mask, so the signals
  // queue up for wait_for_shutdown instead of killing the process.
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::unique_ptr<Server> server(new Server());
  server->state_ = std::make_unique<ServerState>();
  ServerState& state = *server->state_;
  state.config = std::move(config);
  state.limits.max_n = state.config.max_n;
  state.keys = ApiKeys(state.config.keys);
  state.limiter = std::make_unique<KeyLimiter>(state.config.keys);
  if (state.config.max_requests_per_second > 0)
    state.request_rate_limit =
        std::make_unique<RequestRateLimit>(state.config.max_requests_per_second, RequestRateLimit::Clock::now());
  state.access_log = std::make_unique<AccessLog>(state.config.access_log, state.config.slow_request_ms);

  HttpServerOptions http;
  http.host = state.config.host;
  http.port = state.config.port;
  http.io_threads = state.config.io_threads;
  http.max_body_bytes = static_cast<size_t>(state.config.max_body_bytes);
  http.max_header_bytes = static_cast<size_t>(state.config.max_header_bytes);
  http.max_connections = static_cast<size_t>(state.config.max_connections);
  http.header_timeout = millis(state.config.header_timeout_s);
  http.body_timeout = millis(state.config.body_timeout_s);
  http.idle_timeout = millis(state.config.idle_timeout_s);
  http.error_response = [](int status, const std::string& message) {
    return error_response(ApiError{status, message, {}, std::nullopt}, "");
  };
  ServerState* shared = &state;
  http.on_connection = [shared](int delta) { shared->metrics.open_connections.fetch_add(delta); };
  http.on_transport_error = [shared](int status) {
    shared->metrics.count_rejection(status == 413 ? RejectReason::kBodyTooLarge : RejectReason::kInvalidRequest);
  };
  KEEL_ASSIGN_OR_RETURN(server->http_, HttpServer::listen(std::move(http),
                                                          [shared](HttpRequest& request) {
                                                            return handle_request(*shared, request);
                                                          }));
  server->http_->start();
  return server;
}

Server::~Server() {
  if (http_) http_->stop();
}

uint16_t Server::port() const { return http_->port(); }

void Server::set_engine(Engine* engine, const ModelFiles* files, int32_t max_context, std::string model_name,
                        TestHooks test_hooks) {
  ServerState& state = *state_;
  state.test_hooks = std::move(test_hooks);
  state.files = files;
  state.max_context = max_context;
  state.model_name = std::move(model_name);
  if (files->chat_template) {
    auto parsed = ChatTemplate::parse(*files->chat_template);
    if (parsed.ok())
      state.chat_template = std::move(parsed).value();
    else
      spdlog::warn("the model's chat template cannot be parsed ({}); /v1/chat/completions will refuse requests",
                   parsed.error().message);
  }
  std::string format = state.config.tool_call_parser;
  if (format == "auto") format = files->chat_template ? std::string(tool_calls::format_for_template(*files->chat_template)) : "";
  state.tool_format = tool_calls::make_tool_call_format(format);  // "none" or "": null
  if (state.tool_format) spdlog::info("tool calls are parsed as {}", state.tool_format->name());
  state.split_reasoning = state.config.reasoning_parser == "think" ||
                          (state.config.reasoning_parser == "auto" && files->chat_template &&
                           template_thinks(*files->chat_template));
  state.supervisor =
      std::make_unique<EngineSupervisor>(*engine, files->tokenizer, state.config.breaker, state.config.stall_timeout_s);
  state.engine = engine;
  state.phase.store(Phase::kServing);
}

bool Server::watch_engine() {
  if (!state_->supervisor || state_->phase.load() != Phase::kServing) return true;
  return state_->supervisor->tick(Clock::now(), state_->metrics.requests_in_flight.load()) ==
         EngineSupervisor::Verdict::kServing;
}

void Server::set_failed(std::string why) {
  spdlog::error("engine failure: {}", why);
  state_->failure = std::move(why);
  state_->phase.store(Phase::kFailed);
}

int Server::wait_for_shutdown() {
  ServerState& state = *state_;
  bool serving = true;
  while (serving && !wait_for_signal(std::chrono::milliseconds(50))) serving = watch_engine();
  const auto deadline = Clock::now() + millis(state.config.drain_timeout_s);
  if (!serving) {
    // Readiness and new completions report the cause from here on.
    set_failed(state.supervisor->exit_reason());
    std::fprintf(stderr, "keel: giving up on the engine; exiting with status %d after in-flight requests end "
                         "(up to %.0f s)\n", kExitEngineGaveUp, state.config.drain_timeout_s);
    while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < deadline && !wait_for_signal(std::chrono::milliseconds(50))) {
    }
    http_->stop();
    std::fflush(stderr);
    std::_Exit(kExitEngineGaveUp);  // the engine thread may be hung: do not join it
  }
  // Readiness goes off at once; new completions get 503 from here on.
  state.phase.store(Phase::kDraining);
  std::fprintf(stderr, "keel: draining (up to %.0f s; a second signal exits at once)\n", state.config.drain_timeout_s);

  while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < deadline) {
    if (wait_for_signal(std::chrono::milliseconds(50))) {
      std::fprintf(stderr, "keel: second signal, exiting now\n");
      std::_Exit(1);
    }
  }
  // Whatever still runs ends now (its client gets 503 or a final chunk).
  if (state.engine) state.engine->shutdown(Clock::now());
  const auto flush_deadline = Clock::now() + std::chrono::seconds(2);
  while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < flush_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  http_->stop();
  std::fprintf(stderr, "keel: stopped\n");
  return 0;
}

}  // namespace keel::server
