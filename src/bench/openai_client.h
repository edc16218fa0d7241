// Sends one RequestSpec to an OpenAI-compatible server as a streaming
// request and records when every piece of output arrived. It also checks
// what it measures: an empty, truncated or erroneous response is a failure,
// never a fast success.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "bench/http_client.h"
#include "bench/request_record.h"
#include "bench/request_spec.h"

namespace keel::bench {

enum class Endpoint { kChat, kCompletions };

struct EndpointConfig {
  Url url;
  std::string api_key;      // sent as "Authorization: Bearer KEY" when set
  std::string model;        // the "model" field; may be empty
  Endpoint endpoint = Endpoint::kChat;
  double request_timeout_s = 600;
  bool ignore_eos = true;   // ask for exactly output_tokens (ignore_eos + min_tokens)
};

// The JSON body for `spec` (exposed for tests).
std::string openai_request_body(const EndpointConfig& config, const RequestSpec& spec);

// Sends `spec` and waits for the whole stream. `run_start` anchors start_s.
RequestRecord send_streaming_request(const EndpointConfig& config, const RequestSpec& spec,
                                     std::chrono::steady_clock::time_point run_start,
                                     const std::atomic<bool>* cancel);

}  // namespace keel::bench
