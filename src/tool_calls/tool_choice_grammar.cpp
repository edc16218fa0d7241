#include "tool_calls/tool_choice_grammar.h"

#include "grammar/json_schema.h"

namespace keel::tool_calls {

Result<ToolChoiceGrammar> tool_choice_gbnf(const ToolCallFormat& format, std::span<const ToolSpec> tools,
                                           const std::optional<std::string>& named, bool parallel) {
  ToolChoiceGrammar out;
  std::string calls, rules;
  for (size_t i = 0; i < tools.size(); ++i) {
    const ToolSpec& tool = tools[i];
    if (named && tool.name != *named) continue;
    std::string arguments = "json-object";
    const std::string prefix = "tool" + std::to_string(i) + "-";
    auto schema = grammar::json_schema_rules(tool.parameters, prefix);
    if (schema.ok()) {
      arguments = schema->root;
      rules += schema->rules;
    } else {
      out.loose_tools.push_back(tool.name + ": " + schema.error().message);
    }
    calls += (calls.empty() ? "" : " | ") + format.call_gbnf(tool, arguments, prefix + "format-", rules);
  }
  if (calls.empty()) return Error{named ? "tool_choice names '" + *named + "', which is not one of the request's tools"
                                        : std::string("tool_choice \"required\" needs at least one tool")};
  const bool many = !named && parallel;
  out.gbnf = "root ::= call" + (many ? " ( " + format.separator_gbnf() + " call )*" : std::string()) + "\n" +
             "call ::= " + calls + "\n" + grammar::json_basics_gbnf() + rules;
  return out;
}

}  // namespace keel::tool_calls
