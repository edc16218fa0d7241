#include "server/tool_request.h"

#include "tool_calls/tool_call_format.h"

namespace keel::server {

std::optional<ApiError> read_tools(const nlohmann::json& body, std::string_view raw_body, CompletionRequest& out) {
  const bool has_tools = body.contains("tools") && !body["tools"].is_null();
  if (has_tools) {
    if (!body["tools"].is_array()) return bad_request("'tools' must be an array", "tools");
    // Again with the client's key order.
    const auto ordered = nlohmann::ordered_json::parse(raw_body, nullptr, /*allow_exceptions=*/false);
    if (ordered.is_discarded()) return bad_request("the request body is not valid JSON", "tools");
    const auto& tools = ordered["tools"];
    for (size_t i = 0; i < tools.size(); ++i) {
      const std::string where = "tools[" + std::to_string(i) + "]";
      const auto& tool = tools[i];
      if (!tool.is_object() || tool.value("type", "") != "function" || !tool.contains("function") ||
          !tool["function"].is_object())
        return bad_request("'" + where + "' must be {\"type\": \"function\", \"function\": {...}}", where);
      const auto& function = tool["function"];
      if (!function.contains("name") || !function["name"].is_string() || function["name"].get<std::string>().empty())
        return bad_request("'" + where + ".function.name' must be a non-empty string", where + ".function.name");
      tool_calls::ToolSpec spec;
      spec.name = function["name"].get<std::string>();
      if (function.contains("parameters")) {
        if (!function["parameters"].is_object())
          return bad_request("'" + where + ".function.parameters' must be a JSON schema object", where + ".function.parameters");
        spec.parameters = function["parameters"];
      }
      out.tools.push_back(std::move(spec));
    }
    out.template_extras["tools"] = tools;
  }
  if (body.contains("parallel_tool_calls")) {
    if (!body["parallel_tool_calls"].is_boolean())
      return bad_request("'parallel_tool_calls' must be a boolean", "parallel_tool_calls");
    out.parallel_tool_calls = body["parallel_tool_calls"].get<bool>();
  }
  const auto choice = body.find("tool_choice");
  if (choice == body.end() || choice->is_null()) {
    out.tool_choice = ToolChoice::kAuto;
    return std::nullopt;
  }
  if (choice->is_string()) {
    const std::string value = choice->get<std::string>();
    if (value == "auto") out.tool_choice = ToolChoice::kAuto;
    else if (value == "none") out.tool_choice = ToolChoice::kNone;
    else if (value == "required") out.tool_choice = ToolChoice::kRequired;
    else return bad_request("'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", ...}", "tool_choice");
  } else if (choice->is_object() && choice->value("type", "") == "function" && choice->contains("function") &&
             (*choice)["function"].is_object() && (*choice)["function"].contains("name") &&
             (*choice)["function"]["name"].is_string()) {
    out.tool_choice = ToolChoice::kNamed;
    out.tool_choice_name = (*choice)["function"]["name"].get<std::string>();
  } else {
    return bad_request("'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}",
                       "tool_choice");
  }
  if ((out.tool_choice == ToolChoice::kRequired || out.tool_choice == ToolChoice::kNamed) && out.tools.empty())
    return bad_request("'tool_choice' asks for a tool call but 'tools' is empty", "tool_choice");
  if (out.tool_choice == ToolChoice::kNamed && tool_calls::find_tool(out.tools, out.tool_choice_name) < 0)
    return bad_request("'tool_choice' names '" + out.tool_choice_name + "', which is not one of 'tools'", "tool_choice");
  return std::nullopt;
}

}  // namespace keel::server
