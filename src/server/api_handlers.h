// The API's routes: which path and method go where, authentication,
// admission, and the small endpoints (/health, /ready, /metrics, /v1/models,
// /tokenize, /detokenize). Completions are handed to completion_session.
#pragma once

#include <string>

#include "server/api_error.h"
#include "server/http_message.h"
#include "server/server_state.h"

namespace keel::server {

HandlerResult handle_request(ServerState& state, HttpRequest& request);

// /ready's verdict: empty when ready, otherwise the reason it is not.
std::string readiness_problem(const ServerState& state);

// The OpenAI-shaped error response for `error`.
HttpResponse error_response(const ApiError& error, const std::string& request_id);

// Optional test hooks (--enable-test-hooks, ServerState::test_hooks): POST
// /debug/stall stalls the device under the engine; POST /debug/fail-forward
// makes its next step fail as a backend error would, which fails the
// engine for good.

}  // namespace keel::server
