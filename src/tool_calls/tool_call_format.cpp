#include "tool_calls/tool_call_format.h"

#include "core/json_text_scanner.h"

#include "tool_calls/glm45_format.h"
#include "tool_calls/glm4_format.h"
#include "tool_calls/hermes_format.h"
#include "tool_calls/llama3_json_format.h"

namespace keel::tool_calls {

std::unique_ptr<ToolCallFormat> make_tool_call_format(std::string_view name) {
  if (name == "hermes") return std::make_unique<HermesFormat>();
  if (name == "glm45") return std::make_unique<Glm45Format>();
  if (name == "glm4") return std::make_unique<Glm4Format>();
  if (name == "llama3_json") return std::make_unique<Llama3JsonFormat>();
  return nullptr;
}

std::vector<std::string_view> format_names() { return {"hermes", "glm45", "glm4", "llama3_json"}; }

std::string_view format_for_template(std::string_view chat_template) {
  const auto has = [&](std::string_view s) { return chat_template.find(s) != std::string_view::npos; };
  if (has("<arg_key>")) return "glm45";
  if (has("<tool_call>")) return "hermes";
  if (has("<|python_tag|>") || (has("ipython") && has("\"parameters\""))) return "llama3_json";
  if (has("<|observation|>") && has("tool_calls")) return "glm4";
  return "";
}

int find_tool(std::span<const ToolSpec> tools, std::string_view name) {
  for (size_t i = 0; i < tools.size(); ++i)
    if (tools[i].name == name) return static_cast<int>(i);
  return -1;
}

size_t find_marker(std::string_view text, std::string_view marker) {
  if (const size_t at = text.find(marker); at != std::string_view::npos) return at;
  // A prefix of the marker at the very end: more text may complete it.
  for (size_t keep = std::min(text.size(), marker.size() - 1); keep > 0; --keep)
    if (text.substr(text.size() - keep) == marker.substr(0, keep)) return text.size() - keep;
  return std::string_view::npos;
}

size_t json_object_length(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && is_json_space(text[i])) ++i;
  if (i == text.size() || text[i] != '{') return std::string_view::npos;
  JsonTextScanner scanner;
  for (; i < text.size(); ++i)
    if (scanner.push(text[i]) && scanner.depth() == 0) return i + 1;
  return std::string_view::npos;
}

bool is_json_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

}  // namespace keel::tool_calls
