// The short generation keel runs on its own engine to see that it works:
// the circuit breaker's half-open probe (engine_supervisor.h) and a reloaded
// model's validation (model_reloader.h). A few greedy tokens of a fixed
// prompt, end-of-generation ids masked, so that it always runs a prefill
// and `tokens - 1` decode steps.
#pragma once

#include <cstdint>

#include "engine/request.h"
#include "engine/request_stream.h"
#include "tokenizer/tokenizer.h"

namespace keel::server {

Request probe_request(const Tokenizer& tokenizer, int32_t tokens);

// The probe ran to its max_tokens, as a working engine makes it.
bool probe_succeeded(const Finish& finish);

}  // namespace keel::server
