// One request through the serving engine, stepped on the caller's thread:
// the generation path of `keel run`, `keel logits` and `keel bench
// quality`, so that those commands exercise exactly what `keel serve` runs.
//
//   EngineOptions options = single_request_options(model, prompt_length, max_tokens);
//   auto engine = Engine::create(model, tokenizer, options).value();   // no start(): stepped here
//   auto result = run_single_request(*engine, std::move(request), on_update);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "engine/engine.h"
#include "engine/request.h"
#include "engine/request_stream.h"

namespace keel {

class Model;

struct SingleRequestResult {
  std::vector<int32_t> tokens;  // generated ids
  std::string text;             // generated text, stop strings removed
  Finish finish;
  Usage usage;
};

// Engine options sized for one sequence of prompt_length + max_tokens
// positions (capped at the model's context), `base` giving the rest.
EngineOptions single_request_options(const Model& model, int64_t prompt_length, int64_t max_tokens,
                                     EngineOptions base = {});

// Submits `request` to `engine` (created, not started) and steps it until
// the request finishes; `on_update` (may be empty) sees each stream update
// as it comes. Errors: the engine refused the request (the refusal's
// message), or it ended with an engine error.
Result<SingleRequestResult> run_single_request(Engine& engine, Request request,
                                               const std::function<void(const StreamUpdate&)>& on_update = {});

}  // namespace keel
