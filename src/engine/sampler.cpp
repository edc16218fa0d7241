#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/check.h"

namespace keel {

int32_t argmax(std::span<const float> values) {
  KEEL_CHECK(!values.empty(), "argmax of nothing");
  int32_t best = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (values[i] > values[best]) best = static_cast<int32_t>(i);
  return best;
}

Sampler::Sampler(int32_t vocab_size, const SamplingParams& params)
    : params_(params),
      rng_(params.seed),
      counts_(static_cast<size_t>(vocab_size), 0),
      seen_(static_cast<size_t>(vocab_size), 0),
      candidates_(static_cast<size_t>(vocab_size)),
      probs_(static_cast<size_t>(vocab_size)) {}

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
      if (!in_vocab(t) || seen_[t]) return;
      seen_[t] = 1;
      float& l = logits[t];
      l = l > 0 ? l / params_.repetition_penalty : l * params_.repetition_penalty;
    };
    for (int32_t t : prompt) penalise(t);
    for (int32_t t : generated) penalise(t);
    for (int32_t t : prompt)
      if (in_vocab(t)) seen_[t] = 0;
    for (int32_t t : generated)
      if (in_vocab(t)) seen_[t] = 0;
  }
  if (additive) {
    for (int32_t t : generated)
      if (in_vocab(t)) ++counts_[t];
    for (int32_t t : generated) {
      if (!in_vocab(t) || counts_[t] == 0) continue;
      logits[t] -= params_.frequency_penalty * static_cast<float>(counts_[t]) + params_.presence_penalty;
      counts_[t] = 0;  // each distinct token once; also resets the scratch
    }
  }
}

int32_t Sampler::draw(std::span<const float> logits) {
  const auto vocab = static_cast<int32_t>(logits.size());
  std::iota(candidates_.begin(), candidates_.begin() + vocab, 0);
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };

  // top-k: only the k best need ordering.
  int32_t kept = vocab;
  if (params_.top_k > 0 && params_.top_k < vocab) {
    kept = params_.top_k;
    std::partial_sort(candidates_.begin(), candidates_.begin() + kept, candidates_.begin() + vocab, by_logit);
  } else {
    std::sort(candidates_.begin(), candidates_.begin() + vocab, by_logit);
  }

  // Softmax over the kept candidates (sorted, so the first is the maximum).
  const float top = logits[candidates_[0]];
  double total = 0;
  for (int32_t i = 0; i < kept; ++i) {
    probs_[i] = std::exp(logits[candidates_[i]] - top);
    total += probs_[i];
  }
  for (int32_t i = 0; i < kept; ++i) probs_[i] = static_cast<float>(probs_[i] / total);

  // top-p: the smallest prefix whose mass reaches top_p (at least one token).
  if (params_.top_p < 1.0f) {
    double mass = 0;
    int32_t i = 0;
    while (i < kept) {
      mass += probs_[i];
      ++i;
      if (mass >= params_.top_p) break;
    }
    kept = std::max<int32_t>(i, 1);
  }
  // min-p: drop tokens less likely than min_p × the most likely one.
  if (params_.min_p > 0.0f) {
    const float floor = params_.min_p * probs_[0];
    int32_t i = 1;
    while (i < kept && probs_[i] >= floor) ++i;
    kept = i;
  }

  double kept_mass = 0;
  for (int32_t i = 0; i < kept; ++i) kept_mass += probs_[i];
  const double u = std::uniform_real_distribution<double>(0.0, kept_mass)(rng_);
  double running = 0;
  for (int32_t i = 0; i < kept; ++i) {
    running += probs_[i];
    if (u < running) return candidates_[i];
  }
  return candidates_[kept - 1];
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> prompt,
                        std::span<const int32_t> generated) {
  KEEL_CHECK(logits.size() == counts_.size(), "logits row does not match the vocabulary");
  apply_penalties(logits, prompt, generated);
  if (params_.greedy()) return argmax(logits);
  const float inverse_temperature = 1.0f / params_.temperature;
  for (float& l : logits) l *= inverse_temperature;
  return draw(logits);
}

float Sampler::logprobs(std::span<const float> logits, int32_t token, std::span<TokenLogprob> top) const {
  // log_softmax(x)_i = x_i - max - log(sum(exp(x - max))).
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  const float log_normaliser = max + static_cast<float>(std::log(sum));

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
