// ServerConfig: every setting of `keel serve` other than the engine's.
// Defaults are safe for a loopback deployment; docs/operations.md explains
// each one. The command line fills it (apps/commands/serve.cpp), with a
// config file underneath (config_file.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/api_keys.h"
#include "server/circuit_breaker.h"

namespace keel::server {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string served_model_name;        // "" = the model file's name
  int io_threads = 2;
  int64_t max_body_bytes = 4 * 1024 * 1024;
  int64_t max_header_bytes = 16 * 1024;
  int64_t max_connections = 10000;
  double header_timeout_s = 10;
  double body_timeout_s = 30;
  double idle_timeout_s = 60;
  int32_t max_queue = 256;              // requests waiting for their first output
  double max_requests_per_second = 0;   // server-wide cap on completion requests (0 = off)
  std::string context_overflow = "error";  // chat past the context: "error" (400), "truncate" (oldest turns dropped) or "shift" (also slides during generation)
  // How the model writes tool calls: "auto" (from the chat template), "none",
  // or a format of tool_calls/tool_call_format.h (hermes, glm45, glm4, llama3_json).
  std::string tool_call_parser = "auto";
  // Whether chat output is split into reasoning_content and content:
  // "auto" (when the chat template writes <think>), "think", or "none".
  std::string reasoning_parser = "auto";
  double queue_timeout_s = 60;          // waiting longer than this: 503
  double stall_timeout_s = 30;          // /ready fails when work is pending and no step completes (a breaker failure)
  BreakerPolicy breaker;                // --breaker-failures, --breaker-window, --breaker-cooldown, --max-engine-restarts
  double drain_timeout_s = 30;
  int64_t slow_request_ms = 10000;
  int32_t max_n = 16;
  std::string access_log = "-";         // "-" stderr, "" off, or a file
  std::vector<KeyPolicy> keys;          // --api-key, --api-key-file, [keys.NAME]
  std::string admin_key;                // --admin-key: POST /admin/reload; "" = off (never logged)
  std::string otlp_endpoint;            // --otlp-endpoint: OTLP/HTTP collector for request spans; "" = no tracing
  double trace_sample_ratio = 0.1;      // --trace-sample-ratio: share of new traces exported (a caller's flag decides its own)
  bool chat_page = true;                // GET / serves the chat page; --no-ui turns it off
  bool enable_test_hooks = false;       // hidden: POST /debug/stall for the readiness test
};

}  // namespace keel::server
