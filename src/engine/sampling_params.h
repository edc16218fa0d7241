// SamplingParams: how one request turns logits into tokens. Field meanings
// follow the OpenAI API and vLLM, so that a request means the same thing
// to keel as to its peers.
#pragma once

#include <cstdint>

namespace keel {

struct SamplingParams {
  float temperature = 1.0f;        // 0 = greedy (argmax)
  int32_t top_k = 0;               // keep the k most likely tokens; 0 = off
  float top_p = 1.0f;              // keep the smallest set with this total probability
  float min_p = 0.0f;              // drop tokens below min_p × the top probability
  float repetition_penalty = 1.0f; // > 1 discourages any token of prompt or output
  float presence_penalty = 0.0f;   // subtracted once from each token already generated
  float frequency_penalty = 0.0f;  // subtracted per occurrence in the generated text
  uint64_t seed = 0;               // same seed, same logits => same tokens
  int32_t top_logprobs = 0;        // how many alternatives to report per token (0..20)

  bool greedy() const { return temperature <= 0.0f; }
};

}  // namespace keel
