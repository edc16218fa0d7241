#include "server/engine_request_builder.h"

#include <algorithm>

namespace keel::server {

Request build_engine_request(const CompletionRequest& request, const std::vector<int32_t>& prompt, int32_t choice,
                             int32_t max_context, uint64_t random_seed) {
  Request out;
  out.prompt = prompt;
  const int32_t room = std::max<int32_t>(1, max_context - static_cast<int32_t>(prompt.size()));
  out.max_tokens = request.max_tokens.value_or(room);
  out.min_tokens = request.min_tokens;
  out.sampling = request.sampling;
  out.sampling.seed = request.seed_given ? request.sampling.seed + static_cast<uint64_t>(choice) : random_seed;
  out.logprobs = request.logprobs;
  out.stop = request.stop;
  out.stop_token_ids = request.stop_token_ids;
  out.ignore_eos = request.ignore_eos;
  out.grammar = request.grammar;
  return out;
}

}  // namespace keel::server
