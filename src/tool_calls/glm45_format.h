// Glm45Format: GLM-4.5 and GLM-4.6. Each call is
//   <tool_call>get_weather
//   <arg_key>city</arg_key>
//   <arg_value>Paris</arg_value>
//   </tool_call>
// An argument value is written raw when it is a string and as JSON
// otherwise (the template's `v | tojson if v is not string else v`), so
// parsing reads it back by the tool's schema: a string-typed parameter
// keeps the text, any other parses it as JSON (text that does not parse
// stays a string).
#pragma once

#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

class Glm45Format final : public ToolCallFormat {
 public:
  std::string_view name() const override { return "glm45"; }
  size_t find_start(std::string_view text, std::span<const ToolSpec> tools) const override;
  Result<SplitOutput> parse(std::string_view text, std::span<const ToolSpec> tools) const override;
  // `arguments` is not used: the arguments are key/value pairs, not a JSON
  // object. The pairs follow the schema's properties in order (the
  // required ones always); a string value is raw text without '<' (within
  // its length bounds, or one of its enum), any other value JSON of its
  // property's schema.
  std::string call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string& prefix,
                        std::string& rules) const override;
  std::string separator_gbnf() const override { return "\"\\n\""; }
};

}  // namespace keel::tool_calls
