#include "engine/generator.h"

#include <algorithm>
#include <numeric>

#include "engine/stop_checker.h"

namespace keel {

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kContextLength: return "context_length";
  }
  return "unknown";
}

Generator::Generator(Model& model, const Tokenizer& tokenizer) : model_(model), tokenizer_(tokenizer) {}

Status Generator::prefill(std::span<const int32_t> ids, int32_t start, KvCache& cache, bool all_logits,
                          std::span<float> logits) {
  const int64_t vocab = model_.config().vocab;
  const auto chunk = static_cast<size_t>(model_.max_batch_tokens());
  std::vector<int32_t> positions(std::min(chunk, ids.size()));
  std::vector<int32_t> slots(positions.size(), 0);
  std::vector<uint8_t> wants(positions.size(), 0);
  for (size_t begin = 0; begin < ids.size(); begin += chunk) {
    const size_t n = std::min(chunk, ids.size() - begin);
    std::iota(positions.begin(), positions.begin() + n, start + static_cast<int32_t>(begin));
    std::fill(wants.begin(), wants.begin() + n, all_logits ? 1 : 0);
    const bool last_chunk = begin + n == ids.size();
    if (last_chunk) wants[n - 1] = 1;
    std::span<float> out;
    if (all_logits) out = logits.subspan(begin * vocab, n * vocab);
    else if (last_chunk) out = logits.first(vocab);
    ForwardBatch batch{ids.subspan(begin, n), std::span(positions).first(n), std::span(slots).first(n),
                       std::span(wants).first(n)};
    KEEL_TRY(model_.forward(batch, cache, out));
  }
  return {};
}

Result<std::vector<float>> Generator::prompt_logits(std::span<const int32_t> ids) {
  if (ids.empty()) return Error{"no token ids given"};
  const int64_t context = model_.config().context_length;
  if (context > 0 && static_cast<int64_t>(ids.size()) > context)
    return Error{std::to_string(ids.size()) + " ids exceed the model's context length of " + std::to_string(context)};
  auto cache = model_.make_kv_cache(1, static_cast<int32_t>(ids.size()));
  std::vector<float> logits(ids.size() * static_cast<size_t>(model_.config().vocab));
  KEEL_TRY(prefill(ids, 0, *cache, /*all_logits=*/true, logits));
  return logits;
}

Result<GenerationResult> Generator::generate(std::span<const int32_t> prompt, const GenerationOptions& options,
                                             const std::function<void(std::string_view)>& on_text) {
  if (prompt.empty()) return Error{"the prompt is empty: give at least one token"};
  if (options.max_tokens < 0) return Error{"max_tokens must not be negative"};
  const int64_t vocab = model_.config().vocab;
  int64_t context = model_.config().context_length > 0 ? model_.config().context_length : INT32_MAX;
  if (static_cast<int64_t>(prompt.size()) >= context)
    return Error{"the prompt has " + std::to_string(prompt.size()) + " tokens; the model's context length is " +
                 std::to_string(context)};
  // Room for the prompt and everything that may be generated, reserved once.
  const int64_t capacity = std::min<int64_t>(context, static_cast<int64_t>(prompt.size()) + options.max_tokens);
  auto cache = model_.make_kv_cache(1, static_cast<int32_t>(capacity));

  GenerationResult result;
  Sampler sampler(static_cast<int32_t>(vocab), options.sampling);
  IncrementalDetokenizer detokenizer(tokenizer_);
  StopChecker stops(options.stop);
  std::vector<float> logits(static_cast<size_t>(vocab));
  auto emit = [&](std::string_view text) {
    result.text.append(text);
    if (on_text && !text.empty()) on_text(text);
  };

  KEEL_TRY(prefill(prompt, 0, *cache, /*all_logits=*/false, logits));
  int32_t position = static_cast<int32_t>(prompt.size());
  for (int32_t step = 0;; ++step) {
    if (step == options.max_tokens) {
      result.finish = FinishReason::kLength;
      break;
    }
    const int32_t token = sampler.sample(logits, prompt, result.tokens);
    result.tokens.push_back(token);
    if (!options.ignore_eos && tokenizer_.is_end_of_generation(token)) {
      result.finish = FinishReason::kStop;
      break;
    }
    auto released = stops.push(detokenizer.push(token));
    emit(released.text);
    if (released.stopped) {
      result.finish = FinishReason::kStop;
      return result;
    }
    if (position >= capacity) {
      result.finish = step + 1 == options.max_tokens ? FinishReason::kLength : FinishReason::kContextLength;
      break;
    }
    // Feed the sampled token back: one token at the next position.
    const int32_t slot = 0;
    const uint8_t wants = 1;
    ForwardBatch batch{std::span(&token, 1), std::span(&position, 1), std::span(&slot, 1), std::span(&wants, 1)};
    KEEL_TRY(model_.forward(batch, *cache, logits));
    ++position;
  }
  auto tail = stops.push(detokenizer.flush());
  emit(tail.text);
  if (!tail.stopped) emit(stops.flush());
  if (tail.stopped) result.finish = FinishReason::kStop;
  return result;
}

}  // namespace keel
