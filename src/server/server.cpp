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

// The signals the main thread takes: SIGTERM and SIGINT shut down, SIGHUP reloads.
sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Waits up to `timeout` for one of them; returns it, or 0.
int wait_for_signal(std::chrono::milliseconds timeout) {
  sigset_t set = handled_signals();
  timespec wait{static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1000000)};
  const int signal = sigtimedwait(&set, nullptr, &wait);
  return signal > 0 ? signal : 0;
}

// Waits up to `timeout` for SIGTERM or SIGINT (a SIGHUP meanwhile is ignored).
bool wait_for_shutdown_signal(std::chrono::milliseconds timeout) {
  const int signal = wait_for_signal(timeout);
  return signal == SIGTERM || signal == SIGINT;
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
  sigset_t set = handled_signals();
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
  if (!state.config.otlp_endpoint.empty()) {
    KEEL_ASSIGN_OR_RETURN(OtlpEndpoint collector, parse_otlp_endpoint(state.config.otlp_endpoint));
    state.span_exporter = std::make_unique<SpanExporter>(std::move(collector), KEEL_SERVER_VERSION);
  }

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

void Server::set_model(LoadedModel model, ModelReloader::Load reload) {
  ServerState& state = *state_;
  if (reload) {
    reloader_ = std::make_unique<ModelReloader>(state, std::move(reload));
    state.reloader = reloader_.get();
  }
  state.install(ServingModel::start(std::move(model), state.config));
  state.phase.store(Phase::kServing);
}

bool Server::watch_engine() {
  const std::shared_ptr<ServingModel> model = state_->serving();
  if (!model || state_->phase.load() != Phase::kServing) return true;
  if (model->supervisor().tick(Clock::now(), state_->metrics.requests_in_flight.load()) ==
      EngineSupervisor::Verdict::kServing)
    return true;
  exit_reason_ = model->supervisor().exit_reason();
  return false;
}

void Server::set_failed(std::string why) {
  spdlog::error("engine failure: {}", why);
  state_->failure = std::move(why);
  state_->phase.store(Phase::kFailed);
}

int Server::wait_for_shutdown() {
  ServerState& state = *state_;
  bool serving = true;
  while (serving) {
    const int signal = wait_for_signal(std::chrono::milliseconds(50));
    if (signal == SIGTERM || signal == SIGINT) break;
    if (signal == SIGHUP) {
      if (!reloader_) spdlog::warn("SIGHUP: no reload is possible yet (the model is loading)");
      else if (const auto refused = reloader_->begin({})) spdlog::warn("SIGHUP: {}", refused->message);
    }
    serving = watch_engine();
  }
  // A reload under way finishes (or is dropped) before anything stops.
  if (reloader_) reloader_->stop();
  const auto deadline = Clock::now() + millis(state.config.drain_timeout_s);
  if (!serving) {
    // Readiness and new completions report the cause from here on.
    set_failed(exit_reason_);
    std::fprintf(stderr, "keel: giving up on the engine; exiting with status %d after in-flight requests end "
                         "(up to %.0f s)\n", kExitEngineGaveUp, state.config.drain_timeout_s);
    while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < deadline &&
           !wait_for_shutdown_signal(std::chrono::milliseconds(50))) {
    }
    http_->stop();
    std::fflush(stderr);
    std::_Exit(kExitEngineGaveUp);  // the engine thread may be hung: do not join it
  }
  // Readiness goes off at once; new completions get 503 from here on.
  state.phase.store(Phase::kDraining);
  std::fprintf(stderr, "keel: draining (up to %.0f s; a second signal exits at once)\n", state.config.drain_timeout_s);

  while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < deadline) {
    if (wait_for_shutdown_signal(std::chrono::milliseconds(50))) {
      std::fprintf(stderr, "keel: second signal, exiting now\n");
      std::_Exit(1);
    }
  }
  // Whatever still runs ends now (its client gets 503 or a final chunk).
  if (const auto model = state.serving()) model->engine().shutdown(Clock::now());
  const auto flush_deadline = Clock::now() + std::chrono::seconds(2);
  while (state.metrics.requests_in_flight.load() > 0 && Clock::now() < flush_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  http_->stop();
  std::fprintf(stderr, "keel: stopped\n");
  return 0;
}

}  // namespace keel::server
