#include "engine/token_output.h"

#include <algorithm>

namespace keel {

std::optional<FinishCause> accept_token(RequestState& request, int32_t token, std::span<const TokenLogprob> logprobs,
                                        std::chrono::steady_clock::time_point emitted, const Tokenizer& tokenizer,
                                        const TokenTexts& texts, int32_t max_context) {
  const Request& params = request.request;
  request.tokens.push_back(token);  // within the capacity reserved at submit
  request.stream.append_token(token, logprobs, emitted);
  const int32_t generated = request.generated();

  // min_tokens holds back end-of-generation and stop ids (as vLLM does);
  // stop strings apply from the first token.
  const bool may_end = generated >= params.min_tokens;
  if (may_end && !params.ignore_eos && tokenizer.is_end_of_generation(token)) return FinishCause::kEndOfGeneration;
  if (may_end && std::find(params.stop_token_ids.begin(), params.stop_token_ids.end(), token) !=
                     params.stop_token_ids.end())
    return FinishCause::kStopTokenId;

  request.decoded.clear();
  request.released.clear();
  request.utf8.push(texts.bytes(token), request.decoded);
  const bool stopped = request.stops.push_into(request.decoded, request.released);
  request.stream.append_text(request.released);
  if (stopped) return FinishCause::kStopString;
  if (generated >= params.max_tokens) return FinishCause::kMaxTokens;
  if (static_cast<int32_t>(request.tokens.size()) >= max_context) return FinishCause::kContextFull;
  return std::nullopt;
}

void update_usage(RequestState& request) {
  request.stream.set_usage(Usage{request.prompt_length, request.generated(), std::max(0, request.cached_tokens)});
}

void finish_request(RequestState& request, FinishCause cause, std::string_view error) {
  if (request.done) return;
  request.done = true;
  if (cause != FinishCause::kStopString) {
    request.decoded.clear();
    request.released.clear();
    request.utf8.flush(request.decoded);
    if (!request.stops.push_into(request.decoded, request.released)) request.stops.flush_into(request.released);
    request.stream.append_text(request.released);
  }
  update_usage(request);
  request.stream.finish(cause, error);
}

}  // namespace keel
