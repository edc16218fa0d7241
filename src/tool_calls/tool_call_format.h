// ToolCallFormat: how one model family writes tool calls in its output,
// behind one interface: where a call begins (so that a stream holds those
// bytes back), how calls are parsed into OpenAI tool_calls, and the GBNF of
// a call (so that tool_choice "required" or a named function is enforced by
// constrained decoding). One file per format:
//
//   hermes       Qwen2.5, Qwen3:   <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>
//   glm45        GLM-4.5, GLM-4.6: <tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>\n...</tool_call>
//   glm4         glm-4-9b-chat, GLM-4-0414: NAME\n{"arg": ...} as the whole turn
//   llama3_json  Llama 3.1+:       {"name": ..., "parameters": {...}} (after <|python_tag|>), ";" between calls
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "grammar/gbnf_literal.h"
#include "tool_calls/tool_call.h"

namespace keel::tool_calls {

class ToolCallFormat {
 public:
  virtual ~ToolCallFormat() = default;
  virtual std::string_view name() const = 0;
  // A call can only be the whole turn (glm4, llama3_json): once content
  // has been written, nothing later is a call.
  virtual bool calls_only_at_start() const { return false; }

  // The offset in `text` (the output so far) where a call begins, or may
  // begin once more text comes (a prefix of the format's opening at the
  // end); npos when nothing in it can start a call.
  virtual size_t find_start(std::string_view text, std::span<const ToolSpec> tools) const = 0;

  // `text`, from a call's start to the end of the output, as calls (and any
  // text after them, as content); an error says why it is not well formed.
  virtual Result<SplitOutput> parse(std::string_view text, std::span<const ToolSpec> tools) const = 0;

  // GBNF (an expression) of one call of `tool` whose arguments match the
  // rule `arguments` (a JSON object), and of what goes between two calls.
  // A format that writes arguments otherwise may add rules of its own to
  // `rules`, named with `prefix`.
  virtual std::string call_gbnf(const ToolSpec& tool, const std::string& arguments, const std::string& prefix,
                                std::string& rules) const = 0;
  virtual std::string separator_gbnf() const = 0;
};

// The format called `name` (one of format_names()), or null.
std::unique_ptr<ToolCallFormat> make_tool_call_format(std::string_view name);
std::vector<std::string_view> format_names();
// The format a chat template writes calls in ("" when it shows none).
std::string_view format_for_template(std::string_view chat_template);

// Helpers shared by the formats.
using grammar::gbnf_literal;
bool is_json_space(char c);
// The index of the tool called `name`, or -1.
int find_tool(std::span<const ToolSpec> tools, std::string_view name);
// Where `marker`, or a prefix of it that ends `text`, begins; npos if neither.
size_t find_marker(std::string_view text, std::string_view marker);
// The length of the JSON object `text` begins with (after leading
// whitespace): up to its closing brace, braces inside strings skipped;
// npos when `text` does not begin with a complete one.
size_t json_object_length(std::string_view text);

}  // namespace keel::tool_calls
