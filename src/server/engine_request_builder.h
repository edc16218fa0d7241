// build_engine_request: one engine Request of a completion request — the
// prompt's ids, the token budget, sampling (with choice j of n > 1 seeded
// seed + j, so that choice 0 matches n = 1), stops, the compiled grammar.
// What the engine calls back with (on_events) is left to the session.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/request.h"
#include "server/completion_request.h"

namespace keel::server {

// `choice`: this request's index among the n of its prompt; `random_seed`:
// the seed when the client gave none; `max_context`: the model's context.
Request build_engine_request(const CompletionRequest& request, const std::vector<int32_t>& prompt, int32_t choice,
                             int32_t max_context, uint64_t random_seed);

}  // namespace keel::server
