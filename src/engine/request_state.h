// RequestState: everything the engine keeps for one request, built in
// submit() on the caller's thread so that the step loop allocates nothing
// for it: the sampler's vocabulary-sized scratch, the UTF-8 stream and stop
// checker with their text buffers, the token buffer (prompt + max_tokens)
// and the output stream.
#pragma once

#include <algorithm>
#include <atomic>
#include <string>
#include <cstdint>
#include <optional>
#include <vector>

#include "engine/request.h"
#include "engine/request_stream.h"
#include "engine/sampler.h"
#include "engine/stop_checker.h"
#include "engine/utf8_stream.h"
#include "grammar/grammar_matcher.h"

namespace keel {

struct RequestState {
  // `longest_token`: the most bytes one token can add (TokenTexts::longest);
  // `scratch`: the engine's sampling scratch, shared by all its requests
  // (null: the sampler makes its own, as tests outside an engine do).
  RequestState(uint64_t request_id, Request&& submitted, int32_t vocab, size_t longest_token,
               SamplerScratch* scratch = nullptr)
      : id(request_id),
        request(std::move(submitted)),
        stream(request),
        sampler(vocab, request.sampling, scratch),
        utf8(longest_token),
        stops(request.stop),
        prompt_length(static_cast<int32_t>(request.prompt.size())),
        logprobs(static_cast<size_t>(1 + request.sampling.top_logprobs)) {
    tokens.reserve(request.prompt.size() + static_cast<size_t>(request.max_tokens));
    tokens.assign(request.prompt.begin(), request.prompt.end());
    // One token's text: up to 3 bytes of U+FFFD per input byte, plus held-back bytes.
    decoded.reserve(3 * (longest_token + 4));
    size_t longest_stop = 0;
    for (const auto& stop : request.stop) longest_stop = std::max(longest_stop, stop.size());
    released.reserve(decoded.capacity() + longest_stop + 64);
    if (request.grammar) matcher.emplace(request.grammar);
  }

  int32_t generated() const { return static_cast<int32_t>(tokens.size()) - prompt_length; }
  std::span<const int32_t> prompt() const { return std::span(tokens).first(static_cast<size_t>(prompt_length)); }
  std::span<const int32_t> output() const { return std::span(tokens).subspan(static_cast<size_t>(prompt_length)); }
  bool wants_prompt_logits() const { return static_cast<bool>(request.on_prompt_logits); }

  const uint64_t id;
  const Request request;
  RequestStream stream;
  Sampler sampler;
  Utf8Stream utf8;                      // token bytes -> whole UTF-8 characters
  StopChecker stops;
  const int32_t prompt_length;
  std::vector<int32_t> tokens;          // prompt, then generated ids; never reallocates
  std::vector<TokenLogprob> logprobs;   // [1 + top_logprobs] scratch for one token
  std::string decoded;                  // scratch: one token's new text
  std::string released;                 // scratch: text the stop checker lets through
  std::optional<grammar::GrammarMatcher> matcher;  // where the output is in Request::grammar
  std::atomic<bool> cancel_requested{false};
  // Engine thread only.
  int32_t cached_tokens = -1;           // prefix-cache hit at first admission (-1: not admitted yet)
  bool done = false;
  bool scheduled = false;               // put into a step at least once (its stream knows when)
  int32_t prompt_logits_delivered = 0;  // prompt positions whose logits on_prompt_logits has seen
};

}  // namespace keel
