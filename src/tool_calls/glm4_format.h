// Glm4Format: glm-4-9b-chat and GLM-4-0414. A call is the whole assistant
// turn: the function's name on the first line, then its arguments as JSON:
//   get_weather
//   {"city": "Paris"}
// (the template renders such a turn with the name as its metadata). Only
// an output whose first line is one of the request's tools is a call.
#pragma once

#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

class Glm4Format final : public ToolCallFormat {
 public:
  std::string_view name() const override { return "glm4"; }
  bool calls_only_at_start() const override { return true; }
  size_t find_start(std::string_view text, std::span<const ToolSpec> tools) const override;
  Result<SplitOutput> parse(std::string_view text, std::span<const ToolSpec> tools) const override;
  std::string call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string& prefix,
                        std::string& rules) const override;
  // One call per turn: a second one starts a new line with its name.
  std::string separator_gbnf() const override { return "\"\\n\""; }
};

}  // namespace keel::tool_calls
