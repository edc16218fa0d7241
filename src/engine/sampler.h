// Sampler: turns one row of logits into the next token of one sequence.
//
// Order of operations (as vLLM applies them): penalties on the raw logits,
// then temperature, then top-k, top-p and min-p filtering, then a draw from
// the renormalised distribution with the sequence's own seeded generator.
// Scratch space is sized once for the vocabulary: sampling allocates
// nothing.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "engine/sampling_params.h"

namespace keel {

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;
};

class Sampler {
 public:
  Sampler(int32_t vocab_size, const SamplingParams& params);

  // Picks the next token. `logits` [vocab] is modified in place (penalties,
  // temperature). `prompt` and `generated` are the sequence so far, for the
  // penalties: repetition covers both, presence and frequency only the
  // generated tokens.
  int32_t sample(std::span<float> logits, std::span<const int32_t> prompt,
                 std::span<const int32_t> generated);

  // Log-probability of `token` and the top alternatives under the model's
  // unmodified distribution. Call before sample() with the raw logits.
  // `top` must have room for params.top_logprobs entries.
  float logprobs(std::span<const float> logits, int32_t token, std::span<TokenLogprob> top) const;

  const SamplingParams& params() const { return params_; }

 private:
  void apply_penalties(std::span<float> logits, std::span<const int32_t> prompt,
                       std::span<const int32_t> generated);
  int32_t draw(std::span<const float> logits);

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<int32_t> counts_;      // [vocab] occurrences in generated, reset after use
  std::vector<uint8_t> seen_;        // [vocab] token occurs in prompt or generated
  std::vector<int32_t> candidates_;  // [vocab] token ids, sorted by logit during filtering
  std::vector<float> probs_;         // [vocab] probabilities of the sorted candidates
};

// Index of the largest value; ties go to the lowest index (as torch.argmax).
int32_t argmax(std::span<const float> values);

}  // namespace keel
