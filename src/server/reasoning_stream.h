// ReasoningStream: splits a thinking model's output (Qwen3, GLM-4.5+,
// DeepSeek-R1 style) into its reasoning, written between <think> and
// </think> at the start of the turn, and the answer after it — OpenAI-style
// clients read them as `reasoning_content` and `content`, as vLLM serves
// them. Works on a stream: text that may be the start of a tag is held
// until the next bytes decide.
//
// An output that does not begin with <think> (leading whitespace aside) is
// all content: a template told not to think (enable_thinking false) writes
// an empty <think></think> into the prompt itself. A turn that ends still
// thinking is all reasoning. The newlines after </think> are dropped.
#pragma once

#include <string>
#include <string_view>

namespace keel::server {

struct ReasoningSplit {
  std::string reasoning;
  std::string content;
};

class ReasoningStream {
 public:
  // The next text of the output, split into what is reasoning and content for sure.
  ReasoningSplit push(std::string_view text);
  // The output has ended: whatever was held.
  ReasoningSplit finish();

 private:
  enum class Phase { kStart, kThinking, kAfterThinking, kAnswer };
  Phase phase_ = Phase::kStart;
  std::string held_;
};

// Whether a chat template writes reasoning between <think> and </think>.
bool template_thinks(std::string_view chat_template);

}  // namespace keel::server
