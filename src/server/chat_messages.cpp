// Validation of the chat `messages` array (see request_parser.h).
#include <string>

#include "server/json_fields.h"
#include "server/request_parser.h"

namespace keel::server {
namespace {

bool known_role(const std::string& role) {
  return role == "system" || role == "user" || role == "assistant" || role == "tool" || role == "developer";
}

// Content parts: [{"type": "text", "text": "..."}]. Only text parts exist
// for a text model; anything else is refused rather than silently dropped.
std::variant<std::string, ApiError> join_text_parts(const nlohmann::json& parts, const std::string& param) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& part = parts[i];
    const std::string where = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return bad_request("'" + where + "' must be an object", where);
    auto type = part.find("type");
    if (type == part.end() || !type->is_string())
      return bad_request("'" + where + ".type' must be a string", where + ".type");
    if (*type != "text")
      return bad_request("'" + where + ".type' must be \"text\" (this model reads text only), got \"" +
                             type->get<std::string>() + "\"",
                         where + ".type");
    auto part_text = part.find("text");
    if (part_text == part.end() || !part_text->is_string())
      return bad_request("'" + where + ".text' must be a string", where + ".text");
    text += part_text->get_ref<const std::string&>();
  }
  return text;
}

}  // namespace

std::variant<nlohmann::ordered_json, ApiError> validate_chat_messages(const nlohmann::json& messages) {
  if (!messages.is_array()) return bad_request("'messages' must be an array, got " + json_type_name(messages), "messages");
  if (messages.empty()) return bad_request("'messages' must contain at least one message", "messages");

  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) return bad_request("'" + where + "' must be an object", where);

    auto role = message.find("role");
    if (role == message.end() || !role->is_string())
      return bad_request("'" + where + ".role' must be a string", where + ".role");
    const std::string& role_name = role->get_ref<const std::string&>();
    if (!known_role(role_name))
      return bad_request("'" + where + ".role' must be one of system, user, assistant, tool, developer; got \"" +
                             role_name + "\"",
                         where + ".role");

    // Keep every field the template may use (name, tool_calls, tool_call_id),
    // replacing only content with its normalised form.
    nlohmann::ordered_json normalised = nlohmann::ordered_json::parse(message.dump());
    auto content = message.find("content");
    const bool has_tool_calls = message.contains("tool_calls") && message["tool_calls"].is_array();
    if (content == message.end() || content->is_null()) {
      if (!(role_name == "assistant" && has_tool_calls))
        return bad_request("'" + where + ".content' is required", where + ".content");
      normalised["content"] = nullptr;
    } else if (content->is_string()) {
      // already in shape
    } else if (content->is_array()) {
      auto joined = join_text_parts(*content, where + ".content");
      if (auto* error = std::get_if<ApiError>(&joined)) return *error;
      normalised["content"] = std::get<std::string>(joined);
    } else {
      return bad_request("'" + where + ".content' must be a string or an array of text parts, got " +
                             json_type_name(*content),
                         where + ".content");
    }
    // OpenAI clients send a call's arguments as a JSON string; templates
    // (GLM-4.5's iterates them; Qwen's writes them with tojson) expect an
    // object. As vLLM does, a string that holds a JSON object becomes it.
    if (role_name == "assistant" && has_tool_calls)
      for (auto& call : normalised["tool_calls"]) {
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) continue;
        auto& arguments = call["function"]["arguments"];
        if (!arguments.is_string()) continue;
        auto parsed = nlohmann::ordered_json::parse(arguments.get<std::string>(), nullptr, /*allow_exceptions=*/false);
        if (!parsed.is_discarded() && parsed.is_object()) arguments = std::move(parsed);
      }
    out.push_back(std::move(normalised));
  }
  return out;
}

}  // namespace keel::server
