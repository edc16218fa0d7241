// The JSON shapes of OpenAI's completion responses: whole bodies, stream
// chunks, usage and logprobs, for both the chat and the legacy endpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/request.h"
#include "engine/sampler.h"
#include "server/completion_request.h"
#include "tokenizer/tokenizer.h"
#include "tool_calls/tool_call.h"

namespace keel::server {

// What identifies one response: every chunk repeats it.
struct ResponseIdentity {
  Endpoint endpoint = Endpoint::kChat;
  std::string id;      // chatcmpl-... or cmpl-...
  int64_t created = 0; // Unix seconds
  std::string model;
  // Chat messages --context-overflow truncate dropped from the prompt:
  // reported as usage.prompt_tokens_details.truncated_messages when > 0.
  int32_t truncated_messages = 0;
  // Times --context-overflow shift slid a choice's context (all choices):
  // usage.completion_tokens_details.context_shifts when > 0.
  int32_t context_shifts = 0;
};

// One generated choice, accumulated (non-streaming) or as one delta (streaming).
// The finish_reason a choice reports: OpenAI's, and abort (cancelled,
// expired, shut down) as vLLM reports it.
enum class FinishReason : uint8_t { kStop, kLength, kToolCalls, kAbort };
std::string_view finish_reason_name(FinishReason reason);
// A finished engine request's reason (tool calls are the session's to add).
FinishReason finish_reason_of(FinishCause cause);

// One parsed tool call with the id the response gives it.
struct ToolCallOutput {
  std::string id;
  tool_calls::ToolCall call;
};

struct ChoiceOutput {
  int32_t index = 0;
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<TokenLogprob> logprobs;  // [tokens × stride] as the engine reports them
  int32_t logprobs_stride = 0;
  std::optional<FinishReason> finish_reason;
  bool first_delta = false;            // chat streams announce the role once
  std::vector<ToolCallOutput> tool_calls;  // chat: parsed from the output (a stream: in its last delta)
  bool split_reasoning = false;        // chat: the output is split (message.reasoning_content is present)
  std::string reasoning;               // the reasoning part (text is then the answer only)
  size_t tool_call_index = 0;          // a stream: the index of tool_calls[0] among the choice's calls
};

// Compact JSON text; invalid UTF-8 (partial tokens in logprobs) becomes U+FFFD.
std::string dump_json(const nlohmann::json& value);

nlohmann::json usage_json(const Usage& usage, int32_t truncated_messages = 0, int32_t context_shifts = 0);

// The logprobs object for `choice`, or null without logprobs. `text_offset`
// is where this delta starts in the choice's text (completions only).
nlohmann::json logprobs_json(Endpoint endpoint, const ChoiceOutput& choice, const Tokenizer& tokenizer,
                             size_t text_offset);

nlohmann::json response_body(const ResponseIdentity& identity, const std::vector<ChoiceOutput>& choices,
                             const Usage& usage, bool want_logprobs, const Tokenizer& tokenizer);
nlohmann::json stream_chunk(const ResponseIdentity& identity, const ChoiceOutput& delta, bool want_logprobs,
                            const Tokenizer& tokenizer, size_t text_offset, bool include_usage_field);
nlohmann::json usage_chunk(const ResponseIdentity& identity, const Usage& usage);

}  // namespace keel::server
