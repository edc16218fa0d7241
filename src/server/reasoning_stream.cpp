#include "server/reasoning_stream.h"

#include "tool_calls/tool_call_format.h"

namespace keel::server {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }


}  // namespace

ReasoningSplit ReasoningStream::push(std::string_view text) {
  ReasoningSplit out;
  held_ += text;
  while (true) {
    switch (phase_) {
      case Phase::kStart: {
        size_t at = 0;
        while (at < held_.size() && is_space(held_[at])) ++at;
        const std::string_view rest = std::string_view(held_).substr(at);
        if (rest.starts_with(kOpen)) {
          held_.erase(0, at + kOpen.size());
          phase_ = Phase::kThinking;
          continue;
        }
        if (kOpen.starts_with(rest)) return out;  // "", "<", "<thi": undecided
        phase_ = Phase::kAnswer;
        continue;
      }
      case Phase::kThinking: {
        // Where "</think>" or a prefix of it that ends the text begins.
        const size_t close = tool_calls::find_marker(held_, kClose);
        if (close == std::string::npos || close + kClose.size() > held_.size()) {
          const size_t keep = close == std::string::npos ? 0 : held_.size() - close;
          out.reasoning += held_.substr(0, held_.size() - keep);
          held_.erase(0, held_.size() - keep);
          return out;
        }
        out.reasoning += held_.substr(0, close);
        held_.erase(0, close + kClose.size());
        phase_ = Phase::kAfterThinking;
        continue;
      }
      case Phase::kAfterThinking: {
        size_t at = 0;
        while (at < held_.size() && held_[at] == '\n') ++at;
        held_.erase(0, at);
        if (held_.empty()) return out;
        phase_ = Phase::kAnswer;
        continue;
      }
      case Phase::kAnswer:
        out.content += held_;
        held_.clear();
        return out;
    }
  }
}

ReasoningSplit ReasoningStream::finish() {
  ReasoningSplit out;
  if (phase_ == Phase::kThinking) out.reasoning = std::move(held_);
  else if (phase_ != Phase::kAfterThinking) out.content = std::move(held_);
  held_.clear();
  return out;
}

bool template_thinks(std::string_view chat_template) { return chat_template.find("<think>") != std::string_view::npos; }

}  // namespace keel::server
