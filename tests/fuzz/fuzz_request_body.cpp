// libFuzzer target: the OpenAI request bodies keel serve accepts, from raw
// bytes to a validated CompletionRequest (chat and completions: messages,
// prompts of text or ids, sampling, stop, tools, response_format, ...) and
// on to the engine Requests it becomes (build_engine_request). Any input
// must give requests the engine accepts, or a 4xx ApiError that names the
// problem — never a crash, a hang, an exception or an out-of-range value
// let through.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "server/engine_request_builder.h"
#include "server/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the endpoint; the rest is the body.
  const auto endpoint = (data[0] & 1) != 0 ? keel::server::Endpoint::kChat : keel::server::Endpoint::kCompletions;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const keel::server::RequestLimits limits;
  const auto parsed = keel::server::parse_completion_request(endpoint, body, limits);
  if (const auto* error = std::get_if<keel::server::ApiError>(&parsed)) {
    if (error->status < 400 || error->status >= 500) std::abort();  // bad input is the client's: a 4xx
    (void)error->body();
    return 0;
  }
  const auto& request = std::get<keel::server::CompletionRequest>(parsed);
  // What the parser promises downstream code.
  if (request.n < 1 || request.n > limits.max_n) std::abort();
  if (request.max_tokens && *request.max_tokens < 0) std::abort();
  if (request.stop.size() > static_cast<size_t>(limits.max_stop_strings)) std::abort();
  if (request.endpoint == keel::server::Endpoint::kCompletions &&
      (request.prompts.empty() || request.prompts.size() > static_cast<size_t>(limits.max_prompts)))
    std::abort();

  // The engine Requests: what Engine::submit checks, the parser must have
  // checked already (a 400 from the parser names the field; the engine's
  // refusal would be the same status with a vaguer message).
  constexpr int32_t kMaxContext = 4096;
  const std::vector<int32_t> prompt = {1, 2, 3};
  for (int32_t choice = 0; choice < request.n; ++choice) {
    const keel::Request engine = keel::server::build_engine_request(request, prompt, choice, kMaxContext, 7);
    const keel::SamplingParams& s = engine.sampling;
    if (engine.max_tokens < 0 || engine.min_tokens < 0) std::abort();
    if (request.max_tokens && engine.min_tokens > engine.max_tokens) std::abort();
    if (!(s.temperature >= 0.0f) || s.top_k < 0 || !(s.top_p > 0.0f && s.top_p <= 1.0f)) std::abort();
    if (!(s.min_p >= 0.0f && s.min_p <= 1.0f) || !(s.repetition_penalty > 0.0f)) std::abort();
    if (s.top_logprobs < 0 || s.top_logprobs > 20) std::abort();
    if (request.seed_given && s.seed != request.sampling.seed + static_cast<uint64_t>(choice)) std::abort();
  }
  return 0;
}
