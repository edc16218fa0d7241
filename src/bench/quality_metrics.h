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

struct QualityReport {
  size_t positions = 0;
  double top1_agreement = 0;  // fraction of positions whose argmax is the same
  double mean_kl = 0, p99_kl = 0, max_kl = 0;
  double perplexity_a = 0, perplexity_b = 0;
};

class QualityAccumulator {
 public:
  // One position: both models' logits and the token that actually came next.
  void add(std::span<const float> logits_a, std::span<const float> logits_b, int32_t next_token);
  QualityReport report() const;

 private:
  std::vector<double> kl_;
  size_t agreements_ = 0;
  double nll_a_ = 0, nll_b_ = 0;  // summed negative log-likelihoods of the next tokens
};

}  // namespace keel::bench
