// CompletionSession: one accepted completion request in flight — its n
// engine requests, their streams, and the HTTP response they become (one
// JSON body, or SSE chunks as tokens arrive). It is the transport's
// DeferredResponse: polled on the connection's I/O thread, woken by the
// engine's notifier.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/api_error.h"
#include "server/completion_request.h"
#include "server/http_message.h"
#include "server/server_state.h"
#include "server/trace_context.h"

namespace keel::server {

// A tokenized prompt, ready to submit.
struct PreparedPrompt {
  std::vector<int32_t> ids;
  int32_t truncated_messages = 0;  // --context-overflow truncate: chat messages dropped to fit
  // --context-overflow shift: the leading tokens (the system message(s))
  // that a context shift keeps.
  int32_t pinned_tokens = 0;
};

struct SessionInfo {
  std::string request_id;
  std::string method, path;
  std::string key_name;
  std::optional<size_t> key_index;  // holds a KeyLimiter slot until the session ends
  std::chrono::steady_clock::time_point arrived;
  TraceContext trace;  // traceparent's, or a new trace
};

// Submits n requests per prompt to the engine. On an engine refusal,
// cancels what was already submitted and returns the error to send.
std::variant<std::shared_ptr<DeferredResponse>, ApiError> start_completion(ServerState& state,
                                                                           std::shared_ptr<ServingModel> model,
                                                                           CompletionRequest request,
                                                                           std::vector<PreparedPrompt> prompts,
                                                                           SessionInfo info);

}  // namespace keel::server
