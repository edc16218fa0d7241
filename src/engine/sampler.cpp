#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/check.h"

namespace keel {
namespace {

// The order the filters walk: the larger logit first; among equal logits,
// the lower token id.
struct MoreLikely {
  const float* logits;
  bool operator()(int32_t a, int32_t b) const {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  }
};

// keep() orders its candidates in chunks: 64 first (a nucleus is usually
// much smaller), then each chunk at least as large as all before it, and
// as large as the nucleus must still be. Each chunk is one linear
// nth_element over the pool left and a sort of the chunk alone, so a
// nucleus of n tokens costs a few passes over the pool and an n log n sort,
// instead of a sort of the vocabulary.
constexpr int32_t kFirstChunk = 64;

}  // namespace

SamplerScratch::SamplerScratch(int32_t vocab_size)
    : counts(static_cast<size_t>(vocab_size), 0),
      seen(static_cast<size_t>(vocab_size), 0),
      candidates(static_cast<size_t>(vocab_size)),
      weights(static_cast<size_t>(vocab_size)),
      block_sums(softmax_blocks(static_cast<size_t>(vocab_size))) {}

Sampler::Sampler(int32_t vocab_size, const SamplingParams& params, SamplerScratch* scratch)
    : params_(params),
      rng_(params.seed),
      owned_(scratch == nullptr ? std::make_unique<SamplerScratch>(vocab_size) : nullptr),
      scratch_(scratch == nullptr ? owned_.get() : scratch) {
  KEEL_CHECK(scratch_->vocab() == vocab_size, "sampler scratch sized for another vocabulary");
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const int32_t> prompt,
                              std::span<const int32_t> generated) {
  const bool repetition = params_.repetition_penalty != 1.0f;
  const bool additive = params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f;
  if (!repetition && !additive) return;
  const auto vocab = static_cast<int32_t>(logits.size());
  auto in_vocab = [vocab](int32_t t) { return t >= 0 && t < vocab; };

  if (repetition) {
    // HF/vLLM rule: divide positive logits, multiply negative ones, once per
    // distinct token, so the penalty always lowers the token's probability.
    auto penalise = [&](int32_t t) {
      if (!in_vocab(t) || scratch_->seen[t]) return;
      scratch_->seen[t] = 1;
      float& l = logits[t];
      l = l > 0 ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    };
    for (int32_t t : prompt) penalise(t);
    for (int32_t t : generated) penalise(t);
    for (int32_t t : prompt)
      if (in_vocab(t)) scratch_->seen[t] = 0;
    for (int32_t t : generated)
      if (in_vocab(t)) scratch_->seen[t] = 0;
  }
  if (additive) {
    for (int32_t t : generated)
      if (in_vocab(t)) ++scratch_->counts[t];
    for (int32_t t : generated) {
      if (!in_vocab(t) || scratch_->counts[t] == 0) continue;
      logits[t] -= params_.frequency_penalty * static_cast<float>(scratch_->counts[t]) + params_.presence_penalty;
      scratch_->counts[t] = 0;  // each distinct token once; also resets the scratch
    }
  }
}

bool Sampler::filters() const {
  const auto vocab = static_cast<int32_t>(scratch_->candidates.size());
  return (params_.top_k > 0 && params_.top_k < vocab) || params_.top_p < 1.0f || params_.min_p > 0.0f;
}

double Sampler::weigh_vocabulary(std::span<const float> logits, int32_t& top) {
  top = argmax(logits);
  return softmax_weights(logits, logits[top], scratch_->weights, scratch_->block_sums);
}

int32_t Sampler::draw_unfiltered(std::span<const float> logits) {
  int32_t top = 0;
  const double sum = weigh_vocabulary(logits, top);
  // Every token is a candidate, so no order is needed: the draw goes by
  // token id. Adding 152k weights one by one would be a chain of dependent
  // additions; the block sums narrow the walk to one block first.
  const double u = std::uniform_real_distribution<double>(0.0, sum)(rng_);
  double running = 0;
  size_t block = 0;
  while (block + 1 < scratch_->block_sums.size() && !(u < running + scratch_->block_sums[block])) running += scratch_->block_sums[block++];
  const size_t begin = block * kSoftmaxBlock, end = std::min(begin + kSoftmaxBlock, logits.size());
  int32_t last = top;
  for (size_t t = begin; t < end; ++t) {
    running += scratch_->weights[t];
    if (u < running) return static_cast<int32_t>(t);
    if (scratch_->weights[t] > 0) last = static_cast<int32_t>(t);
  }
  // The block's weights added one by one fell a rounding error short of its
  // sum: u lies in this block's last sliver of mass.
  return last;
}

void Sampler::select_top_k(std::span<const float> logits, int32_t k) {
  const MoreLikely more_likely{logits.data()};
  int32_t* const heap = scratch_->candidates.data();
  // A heap of the k most likely tokens so far, the least likely of them on
  // top. A later token has a higher id than every token in the heap, so it
  // enters only with a strictly larger logit than the heap's least likely.
  std::iota(heap, heap + k, 0);
  std::make_heap(heap, heap + k, more_likely);
  for (auto t = k; t < static_cast<int32_t>(logits.size()); ++t) {
    if (!(logits[t] > logits[heap[0]])) continue;
    std::pop_heap(heap, heap + k, more_likely);
    heap[k - 1] = t;
    std::push_heap(heap, heap + k, more_likely);
  }
  std::sort_heap(heap, heap + k, more_likely);  // most likely first
}

bool Sampler::order_more(std::span<const float> logits, int32_t wanted) {
  if (scratch_->ordered == scratch_->pooled) {
    // The pool is used up: gather the tokens below it that could still be
    // kept. Rare: the pool is sized so that it holds the whole nucleus.
    if (!(scratch_->keep_floor < scratch_->pool_floor)) return false;
    for (size_t t = 0; t < logits.size(); ++t) {
      const float below_max = logits[t] - scratch_->max_logit;
      if (below_max < scratch_->pool_floor && below_max >= scratch_->keep_floor) scratch_->candidates[scratch_->pooled++] = static_cast<int32_t>(t);
    }
    scratch_->pool_floor = scratch_->keep_floor;
    if (scratch_->ordered == scratch_->pooled) return false;
  }
  // Bring the next chunk's tokens forward (linear time), then sort only them.
  const int32_t end = scratch_->ordered + std::min(scratch_->pooled - scratch_->ordered, std::max({kFirstChunk, scratch_->ordered, wanted}));
  const MoreLikely more_likely{logits.data()};
  int32_t* const c = scratch_->candidates.data();
  if (end < scratch_->pooled) std::nth_element(c + scratch_->ordered, c + end, c + scratch_->pooled, more_likely);
  std::sort(c + scratch_->ordered, c + end, more_likely);
  scratch_->ordered = end;
  return true;
}

std::span<const int32_t> Sampler::keep(std::span<const float> logits) {
  KEEL_CHECK(logits.size() == scratch_->candidates.size(), "logits row does not match the vocabulary");
  KEEL_CHECK(filters(), "keep() needs top_k, top_p or min_p");
  const auto vocab = static_cast<int32_t>(logits.size());
  const bool top_p = params_.top_p < 1.0f;
  const bool min_p = params_.min_p > 0.0f;
  constexpr float kInfinity = std::numeric_limits<float>::infinity();

  const bool top_k = params_.top_k > 0 && params_.top_k < vocab;
  int32_t top = 0;
  if (top_k) {
    // top-k first; the probabilities are the softmax over the k alone.
    select_top_k(logits, params_.top_k);
    scratch_->ordered = scratch_->pooled = params_.top_k;
    top = scratch_->candidates[0];
    scratch_->max_logit = logits[top];
    scratch_->normaliser = 0;
    for (int32_t i = 0; i < scratch_->ordered; ++i) {
      const int32_t t = scratch_->candidates[i];
      scratch_->weights[t] = std::exp(logits[t] - scratch_->max_logit);
      scratch_->normaliser += scratch_->weights[t];
    }
    scratch_->keep_floor = scratch_->pool_floor = kInfinity;  // nothing outside the k can be kept
  } else {
    scratch_->normaliser = weigh_vocabulary(logits, top);
    scratch_->max_logit = logits[top];
    scratch_->ordered = scratch_->pooled = 0;
  }
  const auto probability = [this](int32_t t) { return static_cast<float>(scratch_->weights[t] / scratch_->normaliser); };
  const float min_p_floor = params_.min_p * probability(top);

  if (!top_k) {
    // Gather a pool of the most likely tokens: those whose logit is at
    // least a floor below the maximum. The floors are on logit - max, the
    // very float each weight is the exponential of, so rounding cannot
    // reorder a token and its weight.
    //
    // min-p keeps p = w / sum >= min_p_floor, i.e. logit - max >=
    // log(min_p_floor × sum). A token 1/1000 below that has a weight 0.1%
    // too small, beyond any rounding: no token under scratch_->keep_floor can pass
    // the exact test in the walk below. (For a subnormal floor that margin
    // is not enough; such a floor keeps almost everything anyway.)
    scratch_->keep_floor = min_p && min_p_floor >= std::numeric_limits<float>::min()
                      ? static_cast<float>(std::log(static_cast<double>(min_p_floor) * scratch_->normaliser) - 1e-3)
                      : -kInfinity;
    // top-p: each token under the nucleus floor weighs less than
    // (1 - top_p) / vocab × sum, so all of them together less than 1 - top_p:
    // the tokens above it reach top_p. (Should rounding leave the pool
    // short, order_more gathers the rest.)
    const float nucleus_floor =
        top_p ? static_cast<float>(std::log((1.0 - params_.top_p) / vocab * scratch_->normaliser)) : -kInfinity;
    scratch_->pool_floor = std::max(scratch_->keep_floor, nucleus_floor);
    scratch_->pooled = 0;
    for (int32_t t = 0; t < vocab; ++t)
      if (logits[t] - scratch_->max_logit >= scratch_->pool_floor) scratch_->candidates[scratch_->pooled++] = t;
  }

  // Walk the tokens most likely first while the filters keep them; the
  // first token is always kept.
  int32_t kept = 0;
  double mass = 0;
  while (true) {
    if (kept > 0 && top_p && mass >= params_.top_p) break;  // the nucleus is complete
    if (kept == scratch_->ordered) {
      // The tokens not yet ordered are each at most as likely as the last
      // one walked, so the nucleus needs at least (top_p - mass) / p_last
      // more: order that many at once (a flat distribution's nucleus is
      // most of the vocabulary).
      const float last = kept > 0 ? probability(scratch_->candidates[kept - 1]) : 0.0f;
      const double needed = top_p && last > 0 ? std::ceil((params_.top_p - mass) / last) : 0.0;
      if (!order_more(logits, static_cast<int32_t>(std::min<double>(needed, vocab)))) break;  // none left to keep
    }
    const float p = probability(scratch_->candidates[kept]);
    if (kept > 0 && min_p && !(p >= min_p_floor)) break;    // under min_p × the top probability
    mass += p;
    ++kept;
  }
  scratch_->kept_mass = mass;
  return std::span<const int32_t>(scratch_->candidates).first(static_cast<size_t>(kept));
}

int32_t Sampler::draw(std::span<const float> logits) {
  if (!filters()) return draw_unfiltered(logits);
  const std::span<const int32_t> kept = keep(logits);
  if (kept.empty()) return argmax(logits);  // only with non-finite logits
  const double u = std::uniform_real_distribution<double>(0.0, scratch_->kept_mass)(rng_);
  double running = 0;
  for (const int32_t t : kept) {
    running += static_cast<float>(scratch_->weights[t] / scratch_->normaliser);
    if (u < running) return t;
  }
  return kept.back();
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> prompt,
                        std::span<const int32_t> generated) {
  KEEL_CHECK(logits.size() == scratch_->counts.size(), "logits row does not match the vocabulary");
  apply_penalties(logits, prompt, generated);
  if (params_.greedy()) return argmax(logits);
  const float inverse_temperature = 1.0f / params_.temperature;
  for (float& l : logits) l *= inverse_temperature;
  return draw(logits);
}

float Sampler::logprobs(std::span<const float> logits, int32_t token, std::span<TokenLogprob> top) const {
  // log_softmax(x)_i = x_i - max - log(sum(exp(x - max))).
  const float max = logits[argmax(logits)];
  const float log_normaliser = max + static_cast<float>(std::log(softmax_sum(logits, max)));

  const size_t n = std::min(top.size(), logits.size());
  for (size_t i = 0; i < n; ++i) top[i] = {-1, -std::numeric_limits<float>::infinity()};
  // Insertion into a small sorted list: n is at most 20.
  for (size_t t = 0; t < logits.size() && n > 0; ++t) {
    const float lp = logits[t] - log_normaliser;
    if (lp <= top[n - 1].logprob) continue;
    size_t i = n - 1;
    while (i > 0 && top[i - 1].logprob < lp) {
      top[i] = top[i - 1];
      --i;
    }
    top[i] = {static_cast<int32_t>(t), lp};
  }
  return logits[token] - log_normaliser;
}

}  // namespace keel
