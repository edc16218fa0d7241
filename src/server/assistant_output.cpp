#include "server/assistant_output.h"

namespace keel::server {

AssistantOutput::AssistantOutput(bool split_reasoning, const tool_calls::ToolCallFormat* format,
                                 std::vector<tool_calls::ToolSpec> tools, std::string call_ids)
    : call_ids_(std::move(call_ids)) {
  if (split_reasoning) reasoning_.emplace();
  if (format != nullptr && !tools.empty()) tools_.emplace(*format, std::move(tools));
}

OutputPiece AssistantOutput::take(std::string_view text, bool last) {
  OutputPiece piece;
  piece.content = std::string(text);
  if (reasoning_) {
    ReasoningSplit split = reasoning_->push(text);
    if (last) {
      ReasoningSplit rest = reasoning_->finish();
      split.reasoning += rest.reasoning;
      split.content += rest.content;
    }
    piece.reasoning = std::move(split.reasoning);
    piece.content = std::move(split.content);
  }
  if (tools_) {
    piece.content = tools_->push(piece.content);
    if (last) {
      tool_calls::SplitOutput rest = tools_->finish();
      piece.content += rest.content;
      piece.malformed = std::move(rest.malformed);
      for (auto& call : rest.calls)
        piece.calls.push_back(ToolCallOutput{call_ids_ + "_" + std::to_string(calls_made_++), std::move(call)});
    }
  }
  return piece;
}

}  // namespace keel::server
