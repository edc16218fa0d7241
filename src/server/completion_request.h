// CompletionRequest: a /v1/chat/completions or /v1/completions body after
// parsing and validation. Everything in it is in range; what is left to
// check needs the model (the template, the tokenizer, the context length).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sampling_params.h"
#include "tool_calls/tool_call.h"

namespace keel::grammar {
class CompiledGrammar;
}

namespace keel::server {

enum class Endpoint { kChat, kCompletions };

// One prompt of a completions request: text to tokenize, or ids as given.
struct PromptInput {
  std::optional<std::string> text;
  std::vector<int32_t> ids;
};

// tool_choice: whether and how the model must call the request's tools.
enum class ToolChoice { kAuto, kNone, kRequired, kNamed };

struct CompletionRequest {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;
  nlohmann::ordered_json messages;        // chat: validated, content normalised to strings
  nlohmann::ordered_json template_extras; // chat: tools, chat_template_kwargs ...
  bool add_generation_prompt = true;
  std::vector<PromptInput> prompts;       // completions: one or more prompts

  std::optional<int32_t> max_tokens;      // absent: up to the context length
  int32_t min_tokens = 0;
  int32_t n = 1;
  SamplingParams sampling;
  bool seed_given = false;
  std::vector<std::string> stop;
  std::vector<int32_t> stop_token_ids;
  bool ignore_eos = false;
  bool logprobs = false;                  // report the chosen tokens' logprobs
  bool echo = false;                      // completions: prepend the prompt to the text
  bool stream = false;
  bool include_usage = false;             // stream_options.include_usage
  std::string user;
  // The grammar the output must match, as GBNF text ("" for none): from
  // response_format (response_format.h). The server compiles it
  // (GrammarCache) into `grammar` before the request reaches the engine.
  std::string grammar_text;
  // Chat: the request's function tools (also rendered by the template),
  // tool_choice (kNamed: tool_choice_name) and parallel_tool_calls.
  std::vector<tool_calls::ToolSpec> tools;
  ToolChoice tool_choice = ToolChoice::kAuto;
  std::string tool_choice_name;
  bool parallel_tool_calls = true;
  std::shared_ptr<const grammar::CompiledGrammar> grammar;
};

// Limits applied while parsing, from the server's configuration.
struct RequestLimits {
  int32_t max_n = 16;
  int32_t max_prompts = 16;
  int32_t max_stop_strings = 16;
  int32_t max_top_logprobs = 20;
};

}  // namespace keel::server
