// ServerState: what every request handler shares — the model serving now,
// limits, metrics and logs. Owned by Server; handlers and completion
// sessions hold a pointer that outlives them.
#pragma once

#include <atomic>
#include <functional>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "server/access_log.h"
#include "server/api_keys.h"
#include "server/completion_request.h"
#include "server/grammar_cache.h"
#include "server/serving_model.h"
#include "server/key_limiter.h"
#include "server/request_rate_limit.h"
#include "server/server_config.h"
#include "server/server_metrics.h"
#include "server/span_exporter.h"

namespace keel::server {

class ModelReloader;

// Where the server is in its life; /ready is 200 only in kServing.
enum class Phase : int { kLoading, kServing, kDraining, kFailed };

struct ServerState {
  ServerConfig config;
  RequestLimits limits;
  ApiKeys keys;
  std::unique_ptr<KeyLimiter> limiter;
  std::unique_ptr<RequestRateLimit> request_rate_limit;  // --max-requests-per-second; null when off
  ServerMetrics metrics;
  // response_format grammars, compiled once per text and vocabulary (an
  // entry compiled for a model that a reload replaced is compiled again).
  GrammarCache grammars{32};
  std::unique_ptr<AccessLog> access_log;
  std::unique_ptr<SpanExporter> span_exporter;  // --otlp-endpoint; null when tracing is off
  std::atomic<Phase> phase{Phase::kLoading};
  std::string failure;                  // why kFailed (written before phase is published)
  std::atomic<uint64_t> next_request_number{1};
  ModelReloader* reloader = nullptr;    // Server's; null until the first model serves

  // The model serving now (null while loading). A request takes it once,
  // when it arrives, and keeps it to the end (serving_model.h).
  std::shared_ptr<ServingModel> serving() const {
    std::lock_guard lock(serving_mutex_);
    return serving_;
  }
  // Installs `model` for every request from now on; returns the one it replaces.
  std::shared_ptr<ServingModel> install(std::shared_ptr<ServingModel> model) {
    std::lock_guard lock(serving_mutex_);
    std::swap(serving_, model);
    return model;
  }

 private:
  mutable std::mutex serving_mutex_;
  std::shared_ptr<ServingModel> serving_;
};

}  // namespace keel::server
