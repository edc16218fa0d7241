// The data of tool calling (issue 15): the tools a request offers, the
// calls a model's output makes, and what is left of the output as content.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::tool_calls {

// One function of a request's `tools`.
struct ToolSpec {
  std::string name;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();  // a JSON schema
};

// One call, as OpenAI's `tool_calls` entries carry it.
struct ToolCall {
  std::string name;
  std::string arguments;  // a JSON object, as text
};

// A model's output split into content and calls.
struct SplitOutput {
  std::string content;
  std::vector<ToolCall> calls;
  // Set when text that began like a call was not one (it is then left in
  // `content`): why, for the server's log.
  std::string malformed;
};

}  // namespace keel::tool_calls
