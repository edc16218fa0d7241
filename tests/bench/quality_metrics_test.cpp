#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bench/quality_metrics.h"

namespace keel::bench {
namespace {

std::vector<float> logits_of(const std::vector<double>& probabilities) {
  std::vector<float> logits;
  for (const double p : probabilities) logits.push_back(static_cast<float>(std::log(p) + 3.0));  // shift: softmax ignores it
  return logits;
}

TEST(Quality, KlOfHandBuiltDistributions) {
  // sum p log(p/q) for p = (.7, .2, .1), q = (.5, .3, .2), computed separately.
  const auto log_p = log_softmax(logits_of({0.7, 0.2, 0.1}));
  const auto log_q = log_softmax(logits_of({0.5, 0.3, 0.2}));
  EXPECT_NEAR(kl_divergence(log_p, log_q), 0.0851228259572216, 1e-6);
  EXPECT_NEAR(kl_divergence(log_p, log_p), 0, 1e-15);
}

TEST(Quality, IdenticalModelsAgreeEverywhere) {
  QualityAccumulator same;
  const auto a = logits_of({0.6, 0.3, 0.1});
  same.add(a, a, 0);
  same.add(a, a, 1);
  const QualityReport r = same.report();
  EXPECT_EQ(r.positions, 2u);
  EXPECT_DOUBLE_EQ(r.top1_agreement, 1);
  EXPECT_NEAR(r.mean_kl, 0, 1e-12);
  // the summed NLL: -(log .6 + log .3)
  EXPECT_NEAR(same.nll_a(), -(std::log(0.6) + std::log(0.3)), 1e-6);
  EXPECT_NEAR(same.nll_a(), same.nll_b(), 1e-12);
  EXPECT_NEAR(next_token_nll(a, 1), -std::log(0.3), 1e-6);
}

TEST(Quality, TextMeasuresPerTokenAndPerCharacter) {
  TextFit fit;
  fit.tokens = 10;
  fit.characters = 40;
  fit.predicted = 8;
  fit.predicted_characters = 32;
  fit.nll = 8 * std::log(4.0);  // each predicted token at probability 1/4
  const TextMeasures m = fit.measures();
  EXPECT_DOUBLE_EQ(m.tokens_per_character, 0.25);
  EXPECT_NEAR(m.perplexity, 4.0, 1e-12);
  EXPECT_NEAR(m.perplexity_per_character, std::sqrt(2.0), 1e-12);  // 4 tokens' worth over 4 characters each
  EXPECT_NEAR(m.bits_per_character, 0.5, 1e-12);
}

TEST(Quality, DisagreementLowersAgreementAndRaisesKl) {
  QualityAccumulator acc;
  acc.add(logits_of({0.7, 0.2, 0.1}), logits_of({0.5, 0.3, 0.2}), 0);  // same argmax
  acc.add(logits_of({0.7, 0.2, 0.1}), logits_of({0.1, 0.8, 0.1}), 0);  // different argmax
  const QualityReport r = acc.report();
  EXPECT_DOUBLE_EQ(r.top1_agreement, 0.5);
  EXPECT_GT(r.mean_kl, 0.08);
  EXPECT_GE(r.p99_kl, r.mean_kl);
  EXPECT_GT(acc.nll_b(), acc.nll_a());  // B put less mass on the true token
}

}  // namespace
}  // namespace keel::bench
