// AssistantOutput: one chat choice's generated text as the client sees
// it — a thinking model's reasoning split off first (ReasoningStream), then
// tool calls parsed out of the answer (ToolCallStream), and the rest
// content, released as soon as it is known not to belong to either.
// Completions (and chat without tools or thinking) pass text straight through.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/openai_response.h"
#include "server/reasoning_stream.h"
#include "tool_calls/tool_call_stream.h"

namespace keel::server {

// What one piece of generated text adds to a choice.
struct OutputPiece {
  std::string content;
  std::string reasoning;
  std::vector<ToolCallOutput> calls;  // only with the last piece
  std::string malformed;              // a held call that did not parse (it is in content): why
};

class AssistantOutput {
 public:
  // `format` (may be null: no tool parsing) must outlive this; `call_ids`
  // prefixes the ids of the calls ("call_<request>_<choice>").
  AssistantOutput(bool split_reasoning, const tool_calls::ToolCallFormat* format, std::vector<tool_calls::ToolSpec> tools,
                  std::string call_ids);

  // The next text of the output; `last`: the output ends with it.
  OutputPiece take(std::string_view text, bool last);
  bool splits_reasoning() const { return reasoning_.has_value(); }

 private:
  std::optional<ReasoningStream> reasoning_;
  std::optional<tool_calls::ToolCallStream> tools_;
  std::string call_ids_;
  size_t calls_made_ = 0;
};

}  // namespace keel::server
