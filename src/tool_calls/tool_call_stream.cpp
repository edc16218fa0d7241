#include "tool_calls/tool_call_stream.h"

namespace keel::tool_calls {

std::string ToolCallStream::push(std::string_view text) {
  held_ += text;
  // Formats whose call is the whole turn (glm4, llama3_json) start only at the output's beginning.
  const size_t start = released_any_ && format_.calls_only_at_start() ? std::string::npos : format_.find_start(held_, tools_);
  const size_t release = start == std::string::npos ? held_.size() : start;
  std::string out = held_.substr(0, release);
  held_.erase(0, release);
  released_any_ = released_any_ || !out.empty();
  return out;
}

SplitOutput ToolCallStream::finish() {
  SplitOutput out;
  if (held_.empty()) return out;
  auto parsed = format_.parse(held_, tools_);
  if (parsed.ok()) return std::move(parsed).value();
  out.content = std::move(held_);
  out.malformed = parsed.error().message;
  held_.clear();
  return out;
}

}  // namespace keel::tool_calls
