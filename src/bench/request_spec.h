// One request a workload asks for: the conversation (or prompt) to send and
// how many tokens to ask back. Workloads make these; the client sends them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::bench {

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct RequestSpec {
  std::vector<ChatMessage> messages;  // the chat form; completions join the contents
  int32_t output_tokens = 128;        // asked for exactly (max_tokens = min_tokens, ignore_eos)
  int64_t conversation = -1;          // multiturn: which conversation; -1 when none
};

}  // namespace keel::bench
