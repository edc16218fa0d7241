// What happens to a sampled token: it joins the sequence, its text is
// detokenized (UTF-8 safe) and checked for stop strings, and the stop
// rules decide whether the request ends. Runs on the engine thread and
// writes only into the request's own, pre-reserved buffers.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "engine/request.h"
#include "engine/request_state.h"
#include "engine/token_texts.h"
#include "tokenizer/tokenizer.h"

namespace keel {

// Appends `token` (with `logprobs`, if the request wants them: [1 +
// top_logprobs]) to the request and its stream, stamped with `emitted`.
// Returns why the request ends, or nothing if it goes on.
std::optional<FinishCause> accept_token(RequestState& request, int32_t token, std::span<const TokenLogprob> logprobs,
                                        std::chrono::steady_clock::time_point emitted, const Tokenizer& tokenizer,
                                        const TokenTexts& texts, int32_t max_context);

// Ends the request: releases text held back (unless a stop string ended
// it), records the cause (with `error` for FinishCause::kEngineError) and
// usage. Idempotent.
void finish_request(RequestState& request, FinishCause cause, std::string_view error = {});

// Publishes the request's current usage to its stream.
void update_usage(RequestState& request);

}  // namespace keel
