#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace keel {
namespace {

std::vector<float> logits_from_probs(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::map<int32_t, int> histogram(SamplingParams params, const std::vector<double>& probs, int draws) {
  Sampler sampler(static_cast<int32_t>(probs.size()), params);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) {
    auto logits = logits_from_probs(probs);
    ++counts[sampler.sample(logits, {}, {})];
  }
  return counts;
}

TEST(Sampler, GreedyPicksArgmaxLowestIndexOnTies) {
  SamplingParams params;
  params.temperature = 0;
  Sampler sampler(4, params);
  std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f};
  EXPECT_EQ(sampler.sample(logits, {}, {}), 1);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDiffers) {
  SamplingParams params;
  params.seed = 42;
  std::vector<double> probs(50, 1.0 / 50);
  auto draw_sequence = [&](uint64_t seed) {
    params.seed = seed;
    Sampler sampler(50, params);
    std::vector<int32_t> out;
    for (int i = 0; i < 20; ++i) {
      auto logits = logits_from_probs(probs);
      out.push_back(sampler.sample(logits, {}, {}));
    }
    return out;
  };
  EXPECT_EQ(draw_sequence(42), draw_sequence(42));
  EXPECT_NE(draw_sequence(42), draw_sequence(43));
}

TEST(Sampler, FrequenciesFollowTheDistribution) {
  SamplingParams params;
  params.seed = 7;
  auto counts = histogram(params, {0.5, 0.3, 0.2}, 20000);
  EXPECT_NEAR(counts[0] / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(counts[1] / 20000.0, 0.3, 0.02);
  EXPECT_NEAR(counts[2] / 20000.0, 0.2, 0.02);
}

TEST(Sampler, TopKKeepsOnlyTheKBest) {
  SamplingParams params;
  params.top_k = 2;
  auto counts = histogram(params, {0.1, 0.4, 0.2, 0.3}, 5000);
  EXPECT_EQ(counts.count(0), 0u);
  EXPECT_EQ(counts.count(2), 0u);
  EXPECT_NEAR(counts[1] / 5000.0, 0.4 / 0.7, 0.03);
}

TEST(Sampler, TopPKeepsSmallestSetReachingMass) {
  SamplingParams params;
  params.top_p = 0.75f;  // 0.5 + 0.3 reaches it; 0.15 and 0.05 are cut
  auto counts = histogram(params, {0.5, 0.3, 0.15, 0.05}, 5000);
  EXPECT_EQ(counts.count(2), 0u);
  EXPECT_EQ(counts.count(3), 0u);
  EXPECT_NEAR(counts[0] / 5000.0, 0.5 / 0.8, 0.03);
}

TEST(Sampler, MinPDropsTokensBelowFractionOfTop) {
  SamplingParams params;
  params.min_p = 0.5f;  // floor 0.25: keeps 0.5 and 0.3
  auto counts = histogram(params, {0.5, 0.3, 0.2}, 3000);
  EXPECT_EQ(counts.count(2), 0u);
}

TEST(Sampler, TemperatureSharpensTheDistribution) {
  SamplingParams params;
  params.temperature = 0.5f;  // p^2 renormalised: 0.25/0.34, 0.09/0.34
  auto counts = histogram(params, {0.5, 0.3, 0.2}, 20000);
  EXPECT_NEAR(counts[0] / 20000.0, 0.25 / 0.38, 0.02);
}

TEST(Sampler, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplingParams params;
  params.temperature = 0;
  params.repetition_penalty = 2.0f;
  Sampler sampler(3, params);
  std::vector<float> logits = {4.0f, -1.0f, 3.0f};
  std::vector<int32_t> prompt = {0, 1, 0};
  EXPECT_EQ(sampler.sample(logits, prompt, {}), 2);
  EXPECT_FLOAT_EQ(logits[0], 2.0f);   // once, although 0 appears twice
  EXPECT_FLOAT_EQ(logits[1], -2.0f);
  EXPECT_FLOAT_EQ(logits[2], 3.0f);
}

TEST(Sampler, PresenceAndFrequencyPenaltiesCountGeneratedTokensOnly) {
  SamplingParams params;
  params.temperature = 0;
  params.presence_penalty = 0.5f;
  params.frequency_penalty = 0.25f;
  Sampler sampler(3, params);
  std::vector<float> logits = {1.0f, 1.0f, 1.0f};
  std::vector<int32_t> prompt = {2, 2};
  std::vector<int32_t> generated = {0, 0, 1};
  sampler.sample(logits, prompt, generated);
  EXPECT_FLOAT_EQ(logits[0], 1.0f - 0.5f - 0.5f);
  EXPECT_FLOAT_EQ(logits[1], 1.0f - 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[2], 1.0f);
  // Scratch was reset: a second call with no history changes nothing.
  std::vector<float> again = {1.0f, 1.0f, 1.0f};
  sampler.sample(again, {}, {});
  EXPECT_FLOAT_EQ(again[0], 1.0f);
}

TEST(Sampler, LogprobsAreLogSoftmaxWithSortedAlternatives) {
  Sampler sampler(3, SamplingParams{});
  std::vector<float> logits = logits_from_probs({0.2, 0.5, 0.3});
  std::vector<TokenLogprob> top(2);
  const float lp = sampler.logprobs(logits, 2, top);
  EXPECT_NEAR(lp, std::log(0.3), 1e-5);
  EXPECT_EQ(top[0].token, 1);
  EXPECT_NEAR(top[0].logprob, std::log(0.5), 1e-5);
  EXPECT_EQ(top[1].token, 2);
}

}  // namespace
}  // namespace keel
