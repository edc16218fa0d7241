#include "tool_calls/glm45_format.h"

#include <set>

#include "grammar/json_schema.h"

namespace keel::tool_calls {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";
constexpr std::string_view kKey = "<arg_key>", kKeyEnd = "</arg_key>";
constexpr std::string_view kValue = "<arg_value>", kValueEnd = "</arg_value>";


std::string_view trim(std::string_view s) {
  while (!s.empty() && is_json_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

// A property whose values are strings: its type says so, or every value of its enum is one.
bool is_string_property(const nlohmann::ordered_json& property) {
  if (!property.is_object()) return false;
  if (property.contains("type") && property["type"] == "string") return true;
  if (!property.contains("enum") || !property["enum"].is_array() || property["enum"].empty()) return false;
  for (const auto& value : property["enum"])
    if (!value.is_string()) return false;
  return true;
}

// Whether a tool's parameter `key` takes strings (written raw).
bool takes_string(const ToolSpec& tool, const std::string& key) {
  const auto properties = tool.parameters.find("properties");
  if (properties == tool.parameters.end() || !properties->is_object() || !properties->contains(key)) return false;
  return is_string_property((*properties)[key]);
}

// GBNF of a raw string value: its enum, or characters other than '<' within its length bounds.
std::string raw_string_gbnf(const nlohmann::ordered_json& property) {
  if (property.contains("enum")) {
    std::string out;
    for (const auto& value : property["enum"]) out += (out.empty() ? "" : " | ") + gbnf_literal(value.get<std::string>());
    return "( " + out + " )";
  }
  const auto bound = [&](const char* key, int64_t fallback) {
    const auto it = property.find(key);
    return it != property.end() && it->is_number_integer() ? std::min<int64_t>(it->get<int64_t>(), 256) : fallback;
  };
  const int64_t min = bound("minLength", 0), max = bound("maxLength", -1);
  return "[^<]{" + std::to_string(min) + "," + (max >= 0 ? std::to_string(std::max(min, max)) : std::string()) + "}";
}

}  // namespace

size_t Glm45Format::find_start(std::string_view text, std::span<const ToolSpec>) const { return find_marker(text, kOpen); }

Result<SplitOutput> Glm45Format::parse(std::string_view text, std::span<const ToolSpec> tools) const {
  SplitOutput out;
  size_t at = 0;
  while (true) {
    while (at < text.size() && is_json_space(text[at])) ++at;
    if (text.substr(at, kOpen.size()) != kOpen) break;
    const size_t close = text.find(kClose, at);
    if (close == std::string_view::npos) return Error{"a <tool_call> without its </tool_call>"};
    std::string_view body = text.substr(at + kOpen.size(), close - at - kOpen.size());
    const size_t first_key = body.find(kKey);
    const std::string name(trim(body.substr(0, first_key)));
    const int tool = find_tool(tools, name);
    if (tool < 0) return Error{"a call of '" + name + "', which is not one of the request's tools"};
    nlohmann::ordered_json arguments = nlohmann::ordered_json::object();
    body = first_key == std::string_view::npos ? std::string_view() : body.substr(first_key);
    while (!trim(body).empty()) {
      body = trim(body);
      if (!body.starts_with(kKey)) return Error{"text between the arguments of a <tool_call>"};
      const size_t key_end = body.find(kKeyEnd);
      const size_t value = body.find(kValue);
      const size_t value_end = body.find(kValueEnd);
      if (key_end == std::string_view::npos || value == std::string_view::npos || value_end == std::string_view::npos ||
          !(key_end < value && value < value_end))
        return Error{"an <arg_key> without its <arg_value>"};
      const std::string key(trim(body.substr(kKey.size(), key_end - kKey.size())));
      const std::string raw(body.substr(value + kValue.size(), value_end - value - kValue.size()));
      if (takes_string(tools[static_cast<size_t>(tool)], key)) {
        arguments[key] = raw;
      } else {
        const auto parsed = nlohmann::ordered_json::parse(raw, nullptr, false);
        arguments[key] = parsed.is_discarded() ? nlohmann::ordered_json(raw) : parsed;
      }
      body = body.substr(value_end + kValueEnd.size());
    }
    out.calls.push_back(ToolCall{name, arguments.dump()});
    at = close + kClose.size();
  }
  if (out.calls.empty()) return Error{"no <tool_call> where one began"};
  out.content = std::string(text.substr(at));
  return out;
}

std::string Glm45Format::call_gbnf(const ToolSpec& tool, const std::string&, const std::string& prefix,
                                   std::string& rules) const {
  std::string pairs;
  const auto properties = tool.parameters.find("properties");
  if (properties != tool.parameters.end() && properties->is_object()) {
    std::set<std::string> required;
    if (const auto it = tool.parameters.find("required"); it != tool.parameters.end() && it->is_array())
      for (const auto& name : *it)
        if (name.is_string()) required.insert(name.get<std::string>());
    int index = 0;
    for (const auto& [key, property] : properties->items()) {
      std::string value = "json-value";
      if (is_string_property(property)) {
        value = raw_string_gbnf(property);
      } else if (auto schema = grammar::json_schema_rules(property, prefix + "p" + std::to_string(index) + "-"); schema.ok()) {
        value = schema->root;
        rules += schema->rules;
      }
      ++index;
      const std::string pair = gbnf_literal("<arg_key>" + key + "</arg_key>\n<arg_value>") + " " + value + " " +
                               gbnf_literal("</arg_value>\n");
      pairs += required.contains(key) ? " " + pair : " ( " + pair + " )?";
    }
  }
  return gbnf_literal("<tool_call>" + tool.name + "\n") + pairs + " " + gbnf_literal("</tool_call>");
}

}  // namespace keel::tool_calls
