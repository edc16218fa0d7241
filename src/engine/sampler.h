// Sampler: turns one row of logits into the next token of one sequence.
//
// Order of operations (as vLLM applies them): penalties on the raw logits,
// then temperature, then top-k, top-p and min-p filtering, then a draw from
// the renormalised distribution with the sequence's own seeded generator.
// Scratch space is sized once for the vocabulary: sampling allocates
// nothing.
//
// Cost: O(vocab) per token, plus O(n log n) for the n tokens a filter keeps.
// Nothing sorts the whole vocabulary (at 152k tokens that sort alone took
// 16 ms a token on the development machine; see docs/performance.md):
// - no filter: one pass for the softmax weights (softmax.h), and a draw
//   that walks their block sums, then one block, in token-id order;
// - top-k: a k-entry heap over one pass, then the k sorted;
// - top-p / min-p: the softmax over the vocabulary, then only the tokens
//   above a logit threshold are gathered, and those are sorted chunk by
//   chunk, most likely first, until the filter is satisfied.
//
// The kept set is exact: the tokens in order of decreasing logit (ties:
// lower id first), probabilities p = w / sum of the weights w = exp(l - max)
// (softmax_weights over the vocabulary; std::exp over the k of top-k, as
// before), summed in that order; top-p keeps the shortest prefix whose mass reaches top_p, min-p
// the prefix with p >= min_p × the top p, both at least one token. The
// draw walks a filtered set in that order, and the unfiltered vocabulary
// in token-id order; either way one uniform number per token, so the same
// seed gives the same tokens.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "engine/sampling_params.h"
#include "engine/softmax.h"

namespace keel {

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;
};

// The vocabulary-sized working memory of sampling: about 2 MB at a 152k
// vocabulary. It holds nothing between calls, so one engine, which samples
// on one thread, keeps one and lends it to every request's Sampler —
// a queued or running request then costs no vocabulary-sized memory.
struct SamplerScratch {
  explicit SamplerScratch(int32_t vocab_size);
  int32_t vocab() const { return static_cast<int32_t>(counts.size()); }

  std::vector<int32_t> counts;      // [vocab] occurrences in generated, reset after use
  std::vector<uint8_t> seen;        // [vocab] token occurs in prompt or generated, reset after use
  std::vector<int32_t> candidates;  // [vocab] token ids; a prefix of them in order
  std::vector<float> weights;       // [vocab] by token id: exp(logit - max), the softmax numerators
  std::vector<double> block_sums;   // [softmax_blocks(vocab)] sums of weights per block

  // State of one Sampler::keep().
  double normaliser = 0;  // the sum of the weights the probabilities divide by
  double kept_mass = 0;   // the probability of the kept tokens together
  int32_t ordered = 0;    // candidates[0, ordered) are in order, the most likely of all tokens
  int32_t pooled = 0;     // candidates[ordered, pooled): gathered, not yet ordered, each less
                          // likely than every ordered one and more likely than every token not gathered
  float max_logit = 0;    // the largest logit; the floors below are relative to it
  float pool_floor = 0;   // gathered so far: the tokens with logit - max_logit >= pool_floor ...
  float keep_floor = 0;   // ... and no token with logit - max_logit < keep_floor can be kept
};

class Sampler {
 public:
  // With `scratch` (sized for vocab_size, outliving the sampler, used by one
  // thread at a time) the sampler allocates nothing vocabulary-sized;
  // without, it makes its own.
  Sampler(int32_t vocab_size, const SamplingParams& params, SamplerScratch* scratch = nullptr);

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

  // The tokens that top-k, top-p and min-p keep from `logits` (already
  // divided by the temperature), most likely first: the set sample() draws
  // from. Needs at least one filter to be set. The span points into the
  // sampler's scratch and lives until the next call.
  std::span<const int32_t> keep(std::span<const float> logits);

  const SamplingParams& params() const { return params_; }
  // True when sample() is the logits' argmax and nothing else (greedy, no
  // penalty): a step may then find the token on the device.
  bool picks_argmax() const {
    return params_.greedy() && params_.repetition_penalty == 1.0f && params_.presence_penalty == 0.0f &&
           params_.frequency_penalty == 0.0f;
  }

 private:
  void apply_penalties(std::span<float> logits, std::span<const int32_t> prompt,
                       std::span<const int32_t> generated);
  bool filters() const;
  int32_t draw(std::span<const float> logits);
  int32_t draw_unfiltered(std::span<const float> logits);
  // Fills weights_ (and block_sums_) with exp(logit - max) for the whole
  // vocabulary; returns their sum. `top` receives the most likely token.
  double weigh_vocabulary(std::span<const float> logits, int32_t& top);
  // Puts the k most likely tokens, in order, in candidates_[0, k).
  void select_top_k(std::span<const float> logits, int32_t k);
  // Orders the next chunk of candidates_, of at least `wanted` tokens where
  // the pool has them (see keep()); false when no candidate is left that
  // could be kept.
  bool order_more(std::span<const float> logits, int32_t wanted);

  SamplingParams params_;
  std::mt19937_64 rng_;
  std::unique_ptr<SamplerScratch> owned_;  // when no shared scratch was given
  SamplerScratch* scratch_;                // owned_, or the engine's
};

}  // namespace keel
