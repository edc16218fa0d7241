#include "tool_calls/llama3_json_format.h"

#include "core/json_text_scanner.h"

namespace keel::tool_calls {

size_t Llama3JsonFormat::find_start(std::string_view text, std::span<const ToolSpec>) const {
  size_t at = 0;
  while (at < text.size() && is_json_space(text[at])) ++at;
  if (at == text.size()) return 0;  // only whitespace so far: a call may follow
  return text[at] == '{' ? 0 : std::string_view::npos;
}

Result<SplitOutput> Llama3JsonFormat::parse(std::string_view text, std::span<const ToolSpec> tools) const {
  SplitOutput out;
  // nlohmann reads one value and reports where it stopped through a sax
  // parser only; simpler: split at top-level ';' outside strings.
  std::vector<std::string_view> parts;
  size_t start = 0;
  JsonTextScanner scanner;
  for (size_t i = 0; i < text.size(); ++i)
    if (scanner.push(text[i]) && text[i] == ';' && scanner.depth() == 0) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  parts.push_back(text.substr(start));
  for (const std::string_view part : parts) {
    const auto call = nlohmann::ordered_json::parse(part, nullptr, false);
    if (call.is_discarded() || !call.is_object()) return Error{"the output is not a JSON tool call"};
    const auto name = call.find("name");
    if (name == call.end() || !name->is_string()) return Error{"a tool call without a string 'name'"};
    if (find_tool(tools, name->get<std::string>()) < 0)
      return Error{"a call of '" + name->get<std::string>() + "', which is not one of the request's tools"};
    auto args = call.find("parameters");
    if (args == call.end()) args = call.find("arguments");
    nlohmann::ordered_json arguments = args == call.end() ? nlohmann::ordered_json::object() : *args;
    if (arguments.is_string()) arguments = nlohmann::ordered_json::parse(arguments.get<std::string>(), nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) return Error{"tool call parameters that are not a JSON object"};
    out.calls.push_back(ToolCall{name->get<std::string>(), arguments.dump()});
  }
  return out;
}

std::string Llama3JsonFormat::call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string&,
                                   std::string&) const {
  return gbnf_literal("{\"name\": " + nlohmann::json(tool.name).dump() + ", \"parameters\": ") + " " + arguments + " " +
         gbnf_literal("}");
}

}  // namespace keel::tool_calls
