// Generator: runs one prompt through a model and samples a continuation,
// one sequence at a time. This is the path of `keel run` and `keel logits`;
// the serving engine batches many sequences through the same Model::forward.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/sampler.h"
#include "engine/sampling_params.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace keel {

enum class FinishReason : uint8_t {
  kStop,           // an end-of-generation token or a stop string
  kLength,         // max_tokens reached
  kContextLength,  // the model's context is full
};

std::string_view finish_reason_name(FinishReason reason);

struct GenerationOptions {
  int32_t max_tokens = 128;
  SamplingParams sampling;
  std::vector<std::string> stop;  // stop strings (not included in the text)
  bool ignore_eos = false;        // keep going past end-of-generation tokens
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // generated ids (a matched stop string's tokens included)
  std::string text;             // generated text, stop string removed
  FinishReason finish = FinishReason::kLength;
};

class Generator {
 public:
  Generator(Model& model, const Tokenizer& tokenizer);

  // Generates from `prompt`. `on_text` (may be empty) receives text deltas as
  // they become final (whole UTF-8 characters, stop strings held back).
  Result<GenerationResult> generate(std::span<const int32_t> prompt, const GenerationOptions& options,
                                    const std::function<void(std::string_view)>& on_text = {});

  // The logits of every position of `ids` run as one prompt: [ids × vocab].
  Result<std::vector<float>> prompt_logits(std::span<const int32_t> ids);

 private:
  // Runs `ids` at positions start.. through the model in chunks of at most
  // max_batch_tokens; writes the logits of every position (all_logits) or
  // only of the last one into `logits`.
  Status prefill(std::span<const int32_t> ids, int32_t start, KvCache& cache, bool all_logits,
                 std::span<float> logits);

  Model& model_;
  const Tokenizer& tokenizer_;
};

}  // namespace keel
