// ToolCallStream: splits a model's output, as it arrives, into content
// that can go to the client now and the text of tool calls, held back
// until the output ends and then parsed (ToolCallFormat). A stream thus
// never shows a client half of a `<tool_call>` as content; text that
// looked like a call but is not one is returned as content at the end.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tool_calls/tool_call_format.h"

namespace keel::tool_calls {

class ToolCallStream {
 public:
  // `format` must outlive the stream.
  ToolCallStream(const ToolCallFormat& format, std::vector<ToolSpec> tools)
      : format_(format), tools_(std::move(tools)) {}

  // The next text of the output; returns what of it (and of text held
  // before) is content for sure.
  std::string push(std::string_view text);
  // The output has ended: the calls, and the content still held.
  SplitOutput finish();

 private:
  const ToolCallFormat& format_;
  std::vector<ToolSpec> tools_;
  std::string held_;
  bool released_any_ = false;
};

}  // namespace keel::tool_calls
