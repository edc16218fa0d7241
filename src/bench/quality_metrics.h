// How far one model's next-token distributions are from another's on the
// same text: top-1 agreement, KL divergence per position (mean and P99),
// and each model's perplexity on the text. Model A is the reference: KL is
// KL(A || B), the information lost by using B where A was meant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace keel::bench {

// log softmax of `logits`, in double precision so that tiny probabilities
// still contribute to the KL divergence.
std::vector<double> log_softmax(std::span<const float> logits);

// KL(P || Q) = sum p * (log p - log q), from log probabilities.
double kl_divergence(std::span<const double> log_p, std::span<const double> log_q);

// One model (its tokenizer and its predictions) on the text. The
// per-character figures compare models of different vocabularies: a
// tokenizer that needs fewer tokens makes each token harder to predict, so
// per-token perplexities of two vocabularies do not compare, but the cost
// of the same characters does.
struct TextMeasures {
  size_t tokens = 0;                     // the text's tokens (no BOS)
  double tokens_per_character = 0;       // tokens / the text's Unicode characters
  double perplexity = 0;                 // per predicted token
  double perplexity_per_character = 0;   // exp(summed NLL / the characters of the predicted tokens)
  double bits_per_character = 0;         // the same NLL in bits per character
};

// Summed over a model's predictions of a text: the measures above follow.
struct TextFit {
  size_t tokens = 0;                 // of the text, no BOS
  size_t characters = 0;             // of the text
  size_t predicted = 0;              // positions predicted (every token after a window's first)
  size_t predicted_characters = 0;   // the characters those tokens write
  double nll = 0;                    // summed negative log-likelihood of them, in nats
  TextMeasures measures() const;
};

struct QualityReport {
  bool same_vocabulary = false;  // one tokenizer: the position-by-position comparison below applies
  size_t characters = 0;         // of the text
  size_t positions = 0;
  double top1_agreement = 0;  // fraction of positions whose argmax is the same
  double mean_kl = 0, p99_kl = 0, max_kl = 0;
  TextMeasures a, b;
};

// The negative log-likelihood of `next_token` under `logits`.
double next_token_nll(std::span<const float> logits, int32_t next_token);

class QualityAccumulator {
 public:
  // One position: both models' logits and the token that actually came next.
  void add(std::span<const float> logits_a, std::span<const float> logits_b, int32_t next_token);
  QualityReport report() const;  // position-by-position figures only (a and b are the caller's)
  double nll_a() const { return nll_a_; }
  double nll_b() const { return nll_b_; }

 private:
  std::vector<double> kl_;
  size_t agreements_ = 0;
  double nll_a_ = 0, nll_b_ = 0;  // summed negative log-likelihoods of the next tokens
};

}  // namespace keel::bench
