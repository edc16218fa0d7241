#include "tool_calls/hermes_format.h"

namespace keel::tool_calls {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";


}  // namespace

size_t HermesFormat::find_start(std::string_view text, std::span<const ToolSpec>) const { return find_marker(text, kOpen); }

Result<SplitOutput> HermesFormat::parse(std::string_view text, std::span<const ToolSpec> tools) const {
  SplitOutput out;
  size_t at = 0;
  while (true) {
    while (at < text.size() && is_json_space(text[at])) ++at;
    if (text.substr(at, kOpen.size()) != kOpen) break;
    const size_t body = at + kOpen.size();
    // The close tag after the whole object (a string inside may hold one).
    const size_t length = json_object_length(text.substr(body));
    if (length == std::string_view::npos) return Error{"a <tool_call> whose body is not a JSON object"};
    size_t close = body + length;
    while (close < text.size() && is_json_space(text[close])) ++close;
    if (text.substr(close, kClose.size()) != kClose) return Error{"a <tool_call> without its </tool_call>"};
    const auto call = nlohmann::ordered_json::parse(text.substr(body, length), nullptr, false);
    if (call.is_discarded() || !call.is_object()) return Error{"a <tool_call> whose body is not a JSON object"};
    const auto name = call.find("name");
    if (name == call.end() || !name->is_string()) return Error{"a tool call without a string 'name'"};
    if (find_tool(tools, name->get<std::string>()) < 0)
      return Error{"a call of '" + name->get<std::string>() + "', which is not one of the request's tools"};
    nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
    if (const auto args = call.find("arguments"); args != call.end()) {
      arguments = args->is_string() ? nlohmann::ordered_json::parse(args->get<std::string>(), nullptr, false) : *args;
      if (arguments.is_discarded() || !arguments.is_object()) return Error{"tool call arguments that are not a JSON object"};
    }
    out.calls.push_back(ToolCall{name->get<std::string>(), arguments.dump()});
    at = close + kClose.size();
  }
  if (out.calls.empty()) return Error{"no <tool_call> where one began"};
  out.content = std::string(text.substr(at));
  return out;
}

std::string HermesFormat::call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string&,
                                   std::string&) const {
  return gbnf_literal("<tool_call>\n{\"name\": " + nlohmann::json(tool.name).dump() + ", \"arguments\": ") + " " +
         arguments + " " + gbnf_literal("}\n</tool_call>");
}

}  // namespace keel::tool_calls
