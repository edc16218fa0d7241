#include "server/probe_generation.h"

namespace keel::server {

Request probe_request(const Tokenizer& tokenizer, int32_t tokens) {
  Request request;
  request.prompt = tokenizer.encode("Hello", /*add_bos=*/true, /*parse_special=*/false);
  if (request.prompt.empty()) request.prompt.push_back(0);
  request.max_tokens = tokens;
  request.sampling.temperature = 0.0f;
  request.ignore_eos = true;
  return request;
}

bool probe_succeeded(const Finish& finish) { return finish.cause == FinishCause::kMaxTokens; }

}  // namespace keel::server
