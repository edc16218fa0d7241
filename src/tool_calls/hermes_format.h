// HermesFormat: Qwen2.5 and Qwen3 (the Hermes convention): each call is
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
// and several may follow one another.
#pragma once

#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

class HermesFormat final : public ToolCallFormat {
 public:
  std::string_view name() const override { return "hermes"; }
  size_t find_start(std::string_view text, std::span<const ToolSpec> tools) const override;
  Result<SplitOutput> parse(std::string_view text, std::span<const ToolSpec> tools) const override;
  std::string call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string& prefix,
                        std::string& rules) const override;
  std::string separator_gbnf() const override { return "\"\\n\""; }
};

}  // namespace keel::tool_calls
