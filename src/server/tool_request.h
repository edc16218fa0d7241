// read_tools: a chat request's `tools`, `tool_choice` and
// `parallel_tool_calls` (OpenAI's function tools), checked and kept in the
// client's key order — the chat template renders them, byte for byte as
// transformers does, and a tool's schema orders its arguments.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/completion_request.h"

namespace keel::server {

std::optional<ApiError> read_tools(const nlohmann::json& body, std::string_view raw_body, CompletionRequest& out);

}  // namespace keel::server
