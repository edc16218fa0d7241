#include "engine/prompt_logits.h"

#include <algorithm>
#include <string>

#include "engine/single_request.h"
#include "model/model.h"

namespace keel {

Result<std::vector<float>> prompt_logits(Model& model, const Tokenizer& tokenizer, std::span<const int32_t> ids,
                                         const EngineOptions& base) {
  if (ids.empty()) return Error{"no token ids given"};
  const int64_t context = model.config().context_length;
  if (context > 0 && static_cast<int64_t>(ids.size()) > context)
    return Error{std::to_string(ids.size()) + " ids exceed the model's context length of " + std::to_string(context)};
  const auto vocab = static_cast<size_t>(model.config().vocab);
  std::vector<float> logits(ids.size() * vocab);

  // Nothing is generated (max_tokens 0, allowed with on_prompt_logits), so
  // a prompt may fill the model's whole context.
  EngineOptions options = single_request_options(model, static_cast<int64_t>(ids.size()), 0, base);
  options.prompt_logits = true;
  options.max_batch_tokens = std::min<int32_t>(options.max_batch_tokens, 512);
  Request request;
  request.prompt.assign(ids.begin(), ids.end());
  request.max_tokens = 0;
  request.sampling.temperature = 0.0f;
  request.ignore_eos = true;
  request.on_prompt_logits = [&](int32_t position, std::span<const float> row) {
    std::copy(row.begin(), row.end(), logits.begin() + static_cast<std::ptrdiff_t>(position * vocab));
  };
  KEEL_ASSIGN_OR_RETURN(auto engine, Engine::create(model, tokenizer, options));
  KEEL_ASSIGN_OR_RETURN(SingleRequestResult result, run_single_request(*engine, std::move(request)));
  (void)result;
  return logits;
}

}  // namespace keel
