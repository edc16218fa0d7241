// Server: the lifecycle of `keel serve`. It listens before the model is
// loaded (so /health answers and /ready says "loading"), takes the engine
// when it is ready, and on SIGTERM or SIGINT drains: readiness off at once,
// new completions refused with 503, running ones finish until the drain
// timeout, then the engine stops and the process exits 0. A second signal
// exits at once. If the engine fails, its requests end with 503, the cause
// is logged once, /ready reports it, and the process keeps answering
// (/health, /metrics) until it is told to stop.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "server/model_reloader.h"
#include "server/server_state.h"

namespace keel::server {

class HttpServer;

class Server {
 public:
  // Blocks SIGTERM/SIGINT (they are taken by wait_for_shutdown), binds and
  // starts the I/O threads. Call before any other thread is created.
  static Result<std::unique_ptr<Server>> start(ServerConfig config);
  ~Server();

  uint16_t port() const;
  ServerState& state() { return *state_; }

  // The model is loaded: start its engine and serve it. `reload` is how
  // SIGHUP and POST /admin/reload load what the configuration names then
  // (model_reloader.h); without one, reloads are refused.
  void set_model(LoadedModel model, ModelReloader::Load reload = {});
  // Marks the server failed: logs `why` once, and readiness reports it.
  void set_failed(std::string why);

  // Waits for SIGTERM or SIGINT (SIGHUP starts a reload), drains, stops the engine (Engine::shutdown)
  // and the I/O threads. Returns the process exit status. Meanwhile the
  // engine supervisor runs every 50 ms; when its restart policy gives up
  // (or the engine stopped for good), in-flight requests get the drain
  // timeout and the process exits with kExitEngineGaveUp, without waiting
  // on an engine that may hang.
  int wait_for_shutdown();
  static constexpr int kExitEngineGaveUp = 3;

 private:
  Server() = default;
  // One supervisor tick; false when the process should exit.
  bool watch_engine();
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<ModelReloader> reloader_;
  std::string exit_reason_;  // why watch_engine gave up
  std::unique_ptr<HttpServer> http_;
};

}  // namespace keel::server
