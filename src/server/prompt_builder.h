// From validated request to token ids: the chat template for messages,
// the tokenizer for text prompts, range checks for given ids, and the
// context-length check that needs all of them.
#pragma once

#include <variant>
#include <vector>

#include "server/api_error.h"
#include "server/completion_session.h"
#include "server/server_state.h"

namespace keel::server {

// --context-overflow shift applies to this request: a chat request with no
// grammar (response_format, a forced tool call), whose generation may then
// run past the context (the session slides it: completion_session.cpp).
bool slides_context(const ServerState& state, const CompletionRequest& request);

std::variant<std::vector<PreparedPrompt>, ApiError> build_prompts(const ServerState& state,
                                                                  const ServingModel& model,
                                                                  const CompletionRequest& request);

}  // namespace keel::server
