#include "bench/quality_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "bench/statistics.h"
#include "core/check.h"

namespace keel::bench {

std::vector<double> log_softmax(std::span<const float> logits) {
  KEEL_CHECK(!logits.empty(), "log_softmax of nothing");
  const double max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (const float v : logits) sum += std::exp(static_cast<double>(v) - max);
  const double log_sum = max + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - log_sum;
  return out;
}

double kl_divergence(std::span<const double> log_p, std::span<const double> log_q) {
  KEEL_CHECK(log_p.size() == log_q.size(), "KL needs distributions over the same vocabulary");
  double kl = 0;
  for (size_t i = 0; i < log_p.size(); ++i) kl += std::exp(log_p[i]) * (log_p[i] - log_q[i]);
  return std::max(kl, 0.0);  // rounding can give -1e-17 for identical inputs
}

void QualityAccumulator::add(std::span<const float> logits_a, std::span<const float> logits_b, int32_t next_token) {
  KEEL_CHECK(logits_a.size() == logits_b.size(), "both models must share a vocabulary");
  KEEL_CHECK(next_token >= 0 && static_cast<size_t>(next_token) < logits_a.size(), "next token out of range");
  const auto log_a = log_softmax(logits_a);
  const auto log_b = log_softmax(logits_b);
  kl_.push_back(kl_divergence(log_a, log_b));
  const auto top_a = std::max_element(logits_a.begin(), logits_a.end()) - logits_a.begin();
  const auto top_b = std::max_element(logits_b.begin(), logits_b.end()) - logits_b.begin();
  agreements_ += top_a == top_b ? 1 : 0;
  nll_a_ -= log_a[static_cast<size_t>(next_token)];
  nll_b_ -= log_b[static_cast<size_t>(next_token)];
}

double next_token_nll(std::span<const float> logits, int32_t next_token) {
  KEEL_CHECK(next_token >= 0 && static_cast<size_t>(next_token) < logits.size(), "next token out of range");
  return -log_softmax(logits)[static_cast<size_t>(next_token)];
}

TextMeasures TextFit::measures() const {
  TextMeasures m;
  m.tokens = tokens;
  if (characters > 0) m.tokens_per_character = static_cast<double>(tokens) / static_cast<double>(characters);
  if (predicted > 0) m.perplexity = std::exp(nll / static_cast<double>(predicted));
  if (predicted_characters > 0) {
    const double per_character = nll / static_cast<double>(predicted_characters);
    m.perplexity_per_character = std::exp(per_character);
    m.bits_per_character = per_character / std::log(2.0);
  }
  return m;
}

QualityReport QualityAccumulator::report() const {
  QualityReport report;
  report.positions = kl_.size();
  if (kl_.empty()) return report;
  const double n = static_cast<double>(kl_.size());
  const Summary kl = summarize(kl_);
  report.top1_agreement = static_cast<double>(agreements_) / n;
  report.mean_kl = kl.mean;
  report.p99_kl = kl.p99;
  report.max_kl = kl.max;
  report.same_vocabulary = true;
  return report;
}

}  // namespace keel::bench
