// Request: what a client asks the engine for, after the server has parsed,
// validated and tokenized it. Plain data; the engine copies nothing out of
// it after submit() returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sampling_params.h"

namespace keel::grammar {
class CompiledGrammar;
}

namespace keel {

struct Request {
  std::vector<int32_t> prompt;         // token ids; must not be empty
  int32_t max_tokens = 16;             // most tokens to generate (>= 1; 0 allowed with on_prompt_logits)
  int32_t min_tokens = 0;              // end-of-generation ids and stops are ignored before this many
  SamplingParams sampling;             // temperature, top-k/p, seed, top_logprobs ...
  bool logprobs = false;               // report the chosen token's logprob (+ sampling.top_logprobs alternatives)
  std::vector<std::string> stop;       // stop strings (not included in the text)
  std::vector<int32_t> stop_token_ids; // ids that end generation like an end-of-generation id (kept in ids)
  bool ignore_eos = false;             // do not stop at the model's end-of-generation ids
  // When set, every generated token keeps the text inside this grammar
  // (structured output, required tool calls): compiled against this
  // engine's grammar_vocabulary(), shared by the requests that use it.
  std::shared_ptr<const grammar::CompiledGrammar> grammar;
  // Absolute time after which the request is ended (FinishCause::kDeadline).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  // Called by the engine thread each time new output (or the finish) is
  // ready to read. It runs on the step loop: it must be quick, must not
  // block and must not call into the engine (typically: post to an event
  // loop, or set an eventfd). May be empty.
  std::function<void()> on_events;
  // When set, the engine (created with EngineOptions::prompt_logits) calls
  // it on its thread with the logits row [vocab] of every prompt position,
  // in position order, once each: what `keel logits` and `keel bench
  // quality` read. The span is valid only during the call.
  std::function<void(int32_t position, std::span<const float> logits)> on_prompt_logits;
};

// Why a request ended. finish_reason() folds it into the OpenAI vocabulary.
enum class FinishCause : uint8_t {
  kEndOfGeneration,  // the model produced an end-of-generation id
  kStopTokenId,      // one of Request::stop_token_ids
  kStopString,       // one of Request::stop matched
  kMaxTokens,        // max_tokens generated
  kContextFull,      // the engine's --max-context is full
  kCancelled,        // Engine::cancel
  kDeadline,         // Request::deadline passed
  kShutdown,         // the engine stopped before the request finished
  kEngineError,      // the step loop failed (Finish::error, EngineStats::failure say why)
  kGrammarComplete,  // Request::grammar is complete and allows no further token
};

// "stop" | "length" | "abort".
std::string_view finish_reason(FinishCause cause);
// The enum's name for logs: "end_of_generation", "stop_token_id", ...
std::string_view finish_cause_name(FinishCause cause);

// Token counts of one request; cached_tokens were read from the prefix
// cache instead of being computed (at first admission).
struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
};

}  // namespace keel
