// The logits of every position of a prompt, computed by the serving engine
// (one request, Request::on_prompt_logits): what `keel logits` writes and
// `keel bench quality` compares.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "engine/engine_options.h"
#include "tokenizer/tokenizer.h"

namespace keel {

class Model;

// [ids × vocab] float32, row-major. `base` gives the KV dtype and step
// sizes; the engine is sized for this one prompt. Errors: no ids, more ids
// than the model's context, an id outside the vocabulary, engine errors.
Result<std::vector<float>> prompt_logits(Model& model, const Tokenizer& tokenizer, std::span<const int32_t> ids,
                                         const EngineOptions& base = {});

}  // namespace keel
