// Llama3JsonFormat: Llama 3.1 and later, JSON tool calling. A call is a
// JSON object the model writes as its whole answer (after <|python_tag|>,
// a control token that leaves no text), several separated by ";":
//   {"name": "get_weather", "parameters": {"city": "Paris"}}
// ("arguments" is accepted for "parameters").
#pragma once

#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

class Llama3JsonFormat final : public ToolCallFormat {
 public:
  std::string_view name() const override { return "llama3_json"; }
  bool calls_only_at_start() const override { return true; }
  size_t find_start(std::string_view text, std::span<const ToolSpec> tools) const override;
  Result<SplitOutput> parse(std::string_view text, std::span<const ToolSpec> tools) const override;
  std::string call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string& prefix,
                        std::string& rules) const override;
  std::string separator_gbnf() const override { return "\"; \""; }
};

}  // namespace keel::tool_calls
