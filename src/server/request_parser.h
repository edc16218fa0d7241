// Parses and validates the bodies of /v1/chat/completions and
// /v1/completions. Untrusted bytes in, a CompletionRequest or an ApiError
// (400, naming the field) out; nothing here throws or aborts.
#pragma once

#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "server/api_error.h"
#include "server/completion_request.h"

namespace keel::server {

using ParsedRequest = std::variant<CompletionRequest, ApiError>;

// Parses `body` as JSON; malformed JSON or invalid UTF-8 is a 400.
std::variant<nlohmann::json, ApiError> parse_json_object(std::string_view body);

ParsedRequest parse_completion_request(Endpoint endpoint, std::string_view body, const RequestLimits& limits);

// Chat messages: a non-empty array of {role, content} objects with known
// roles; content as a string or an array of text parts (joined), null only
// for an assistant message that carries tool_calls. Returns the messages in
// the shape chat templates expect.
std::variant<nlohmann::ordered_json, ApiError> validate_chat_messages(const nlohmann::json& messages);

}  // namespace keel::server
