// tool_choice_gbnf: the grammar that enforces tool_choice "required" (one
// or more calls of any tool; only one when parallel_tool_calls is false)
// or a named function (exactly one call of it), in the model's format.
// Each tool's arguments follow its parameters schema
// (grammar/json_schema.h); a schema keel cannot compile (an unsupported
// keyword) falls back to any JSON object for that tool, reported in
// `loose_tools` so that the server can log it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

struct ToolChoiceGrammar {
  std::string gbnf;
  std::vector<std::string> loose_tools;
};

// `named`: the one tool to call, or none for "required".
Result<ToolChoiceGrammar> tool_choice_gbnf(const ToolCallFormat& format, std::span<const ToolSpec> tools,
                                           const std::optional<std::string>& named, bool parallel);

}  // namespace keel::tool_calls
