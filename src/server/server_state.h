// ServerState: what every request handler shares — the engine, the
// tokenizer, limits, metrics and logs. Owned by Server; handlers and
// completion sessions hold a pointer that outlives them.
#pragma once

#include <atomic>
#include <functional>
#include <chrono>
#include <memory>
#include <string>

#include "chat_template/chat_template.h"
#include "engine/model_files.h"
#include "server/grammar_cache.h"
#include "tool_calls/tool_call_format.h"
#include "server/access_log.h"
#include "server/api_keys.h"
#include "server/completion_request.h"
#include "server/engine_supervisor.h"
#include "server/key_limiter.h"
#include "server/request_rate_limit.h"
#include "server/server_config.h"
#include "server/server_metrics.h"

namespace keel {
class Engine;
}

namespace keel::server {

// --enable-test-hooks: what POST /debug/stall and /debug/fail-forward do.
// The app wires them to a fault-injecting backend under the engine, so
// that neither the server nor the engine carries test code.
struct TestHooks {
  std::function<void(bool stalled)> stall_engine;
  std::function<void(std::string cause, int64_t steps)> fail_next_step;
};

// Where the server is in its life; /ready is 200 only in kServing.
enum class Phase : int { kLoading, kServing, kDraining, kFailed };

struct ServerState {
  ServerConfig config;
  RequestLimits limits;
  std::string model_name;               // what /v1/models lists and responses echo
  Engine* engine = nullptr;             // null while loading
  const ModelFiles* files = nullptr;
  TestHooks test_hooks;                 // set with the engine
  std::unique_ptr<EngineSupervisor> supervisor;  // set with the engine: the circuit breaker
  std::optional<ChatTemplate> chat_template;
  std::unique_ptr<tool_calls::ToolCallFormat> tool_format;  // null: tool calls come back as content
  bool split_reasoning = false;         // --reasoning-parser: chat output -> reasoning_content + content
  int32_t max_context = 0;
  ApiKeys keys;
  std::unique_ptr<KeyLimiter> limiter;
  std::unique_ptr<RequestRateLimit> request_rate_limit;  // --max-requests-per-second; null when off
  ServerMetrics metrics;
  GrammarCache grammars{32};            // response_format grammars, compiled once per text
  std::unique_ptr<AccessLog> access_log;
  std::atomic<Phase> phase{Phase::kLoading};
  std::string failure;                  // why kFailed (written before phase is published)
  std::atomic<uint64_t> next_request_number{1};
};

}  // namespace keel::server
