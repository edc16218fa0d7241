#include "tool_calls/glm4_format.h"

namespace keel::tool_calls {

size_t Glm4Format::find_start(std::string_view text, std::span<const ToolSpec> tools) const {
  // Held while the text so far can still become "name\n" of some tool.
  for (const ToolSpec& tool : tools) {
    const std::string line = tool.name + "\n";
    const size_t n = std::min(text.size(), line.size());
    if (text.substr(0, n) == std::string_view(line).substr(0, n)) return 0;
  }
  return std::string_view::npos;
}

Result<SplitOutput> Glm4Format::parse(std::string_view text, std::span<const ToolSpec> tools) const {
  SplitOutput out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t newline = text.find('\n', at);
    if (newline == std::string_view::npos) break;
    const std::string name(text.substr(at, newline - at));
    if (find_tool(tools, name) < 0) break;
    // The arguments: one JSON object; a following call starts after a newline.
    const std::string_view rest = text.substr(newline + 1);
    const size_t end = json_object_length(rest);
    if (end == std::string_view::npos) return Error{"the arguments of a call of '" + name + "' are not a JSON object"};
    const auto arguments = nlohmann::ordered_json::parse(rest.substr(0, end), nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object())
      return Error{"the arguments of a call of '" + name + "' are not a JSON object"};
    out.calls.push_back(ToolCall{name, arguments.dump()});
    at = newline + 1 + end;
    if (at < text.size() && text[at] == '\n') ++at;
  }
  if (out.calls.empty()) return Error{"the first line names a tool but no call follows"};
  out.content = std::string(text.substr(at));
  return out;
}

std::string Glm4Format::call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string&,
                                   std::string&) const {
  return gbnf_literal(tool.name + "\n") + " " + arguments;
}

}  // namespace keel::tool_calls
