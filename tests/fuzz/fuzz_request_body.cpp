// libFuzzer target: the OpenAI request bodies keel serve accepts, from raw
// bytes to a validated CompletionRequest (chat and completions: messages,
// prompts of text or ids, sampling, stop, tools, response_format, ...).
// Any input must give a request or a 4xx ApiError that names the problem —
// never a crash, a hang, an exception or an out-of-range value let through.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

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
  return 0;
}
