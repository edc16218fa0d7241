#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
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

// The kept set by its definition, the slow way: sort the whole vocabulary
// (larger logit first, ties to the lower id), take probabilities
// exp(l - max) / sum (with top-k: std::exp over the k, summed in order;
// else softmax_weights over the vocabulary), then the shortest prefix whose
// mass reaches top_p, then the prefix at or above min_p × the top
// probability.
std::vector<int32_t> sorted_reference_keep(const std::vector<float>& logits, const SamplingParams& params) {
  const auto vocab = static_cast<int32_t>(logits.size());
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  const bool top_k = params.top_k > 0 && params.top_k < vocab;
  int32_t kept = top_k ? params.top_k : vocab;

  const float max = logits[order[0]];
  std::vector<float> weight(logits.size(), 0.0f);
  double sum = 0;
  if (top_k) {
    for (int32_t i = 0; i < kept; ++i) sum += weight[order[i]] = std::exp(logits[order[i]] - max);
  } else {
    std::vector<double> block_sums(softmax_blocks(logits.size()));
    sum = softmax_weights(logits, max, weight, block_sums);
  }
  auto p = [&](int32_t rank) { return static_cast<float>(weight[order[rank]] / sum); };

  if (params.top_p < 1.0f) {
    double mass = 0;
    int32_t i = 0;
    while (i < kept) {
      mass += p(i++);
      if (mass >= params.top_p) break;
    }
    kept = std::max(i, 1);
  }
  if (params.min_p > 0.0f) {
    const float floor = params.min_p * p(0);
    int32_t i = 1;
    while (i < kept && p(i) >= floor) ++i;
    kept = i;
  }
  order.resize(static_cast<size_t>(kept));
  return order;
}

// Random logits of a few shapes: flat to peaked, and coarsely rounded so
// that many tokens tie.
std::vector<float> random_logits(int32_t vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  const float spread = std::array{0.3f, 1.0f, 3.0f, 8.0f}[seed % 4];
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> logits(static_cast<size_t>(vocab));
  for (float& l : logits) l = normal(rng);
  if (seed % 3 == 0)
    for (float& l : logits) l = std::round(l * 4.0f) / 4.0f;  // ties everywhere, the maximum included
  if (seed % 5 == 0) logits[seed % logits.size()] = -std::numeric_limits<float>::infinity();
  return logits;
}

std::vector<int32_t> keep(const std::vector<float>& logits, const SamplingParams& params) {
  Sampler sampler(static_cast<int32_t>(logits.size()), params);
  const std::span<const int32_t> kept = sampler.keep(logits);
  return {kept.begin(), kept.end()};
}

TEST(Sampler, FiltersKeepExactlyWhatAFullSortKeeps) {
  // Every filter and combination on many vocabularies of 1000+ tokens; the
  // kept tokens and their order must match the sorted reference exactly,
  // so a nucleus one token too long or too short fails here.
  const std::vector<int32_t> top_ks = {0, 1, 7, 40, 999};
  const std::vector<float> top_ps = {1.0f, 0.05f, 0.5f, 0.9f, 0.95f, 0.999f, 0.99999994f};
  const std::vector<float> min_ps = {0.0f, 0.001f, 0.05f, 0.5f, 1.0f};
  int checked = 0;
  for (uint32_t seed = 1; seed <= 24; ++seed) {
    const int32_t vocab = std::array{1000, 1031, 4096}[seed % 3];
    const std::vector<float> logits = random_logits(vocab, seed);
    for (int32_t top_k : top_ks)
      for (float top_p : top_ps)
        for (float min_p : min_ps) {
          SamplingParams params;
          params.top_k = top_k;
          params.top_p = top_p;
          params.min_p = min_p;
          if (top_k == 0 && top_p == 1.0f && min_p == 0.0f) continue;  // nothing to filter
          ASSERT_EQ(keep(logits, params), sorted_reference_keep(logits, params))
              << "seed " << seed << " vocab " << vocab << " top_k " << top_k << " top_p " << top_p << " min_p "
              << min_p;
          ++checked;
        }
  }
  EXPECT_GT(checked, 3000);
}

TEST(Sampler, OneSamplerKeepsRightAcrossCalls) {
  // The scratch carries nothing from one call to the next.
  SamplingParams params;
  params.top_p = 0.9f;
  params.min_p = 0.01f;
  Sampler sampler(2048, params);
  for (uint32_t seed = 100; seed < 140; ++seed) {
    const std::vector<float> logits = random_logits(2048, seed);
    const std::span<const int32_t> kept = sampler.keep(logits);
    EXPECT_EQ(std::vector<int32_t>(kept.begin(), kept.end()), sorted_reference_keep(logits, params)) << seed;
  }
}

TEST(Sampler, TopPNucleusBreaksTiesByLowerIdOnALargeVocabulary) {
  // One token of 0.6, ten tied tokens of 0.03 at scattered ids, and 0.1
  // spread over the other 1989. top_p 0.85 needs 0.6 + 9 × 0.03 = 0.87:
  // the nine tied tokens with the lowest ids, not the tenth.
  const int32_t vocab = 2000;
  std::vector<double> probs(vocab, 0.1 / 1989);
  probs[1500] = 0.6;
  const std::vector<int32_t> tied = {1999, 3, 1200, 77, 640, 12, 905, 1801, 450, 333};
  for (int32_t t : tied) probs[t] = 0.03;
  SamplingParams params;
  params.top_p = 0.85f;
  std::vector<int32_t> expected = {1500, 3, 12, 77, 333, 450, 640, 905, 1200, 1801};
  EXPECT_EQ(keep(logits_from_probs(probs), params), expected);
  // min-p 0.04 keeps the same ten in combination (0.03 >= 0.04 × 0.6); min-p 0.1 only the top.
  params.min_p = 0.04f;
  EXPECT_EQ(keep(logits_from_probs(probs), params), expected);
  params.min_p = 0.1f;
  EXPECT_EQ(keep(logits_from_probs(probs), params), std::vector<int32_t>{1500});
  // top-k 4 first (the top and the three lowest tied ids), and top-p on
  // their renormalised mass: 0.6 / 0.69 = 0.870 falls short of 0.9, and
  // one tied token more reaches 0.913.
  params.min_p = 0.0f;
  params.top_p = 0.9f;
  params.top_k = 4;
  EXPECT_EQ(keep(logits_from_probs(probs), params), (std::vector<int32_t>{1500, 3}));
}

TEST(Sampler, TopPStopsAtTheFirstTokenThatReachesTheMassExactly) {
  // 1024 equal logits: every p is exactly 2^-10 and every partial sum is
  // exact, so the mass reaches 0.25 exactly at the 256th token. That token
  // is kept, the 257th is not, and the ties go to the lowest ids.
  SamplingParams params;
  params.top_p = 0.25f;
  std::vector<int32_t> expected(256);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(keep(std::vector<float>(1024, 1.5f), params), expected);
}

// Draws `draws` tokens and checks them against the reference kept set:
// nothing outside it, and each kept token's frequency near its
// renormalised probability.
void expect_draws_follow_the_kept_distribution(const SamplingParams& params, const std::vector<float>& logits,
                                               int draws) {
  const std::vector<int32_t> kept = sorted_reference_keep(logits, params);
  ASSERT_LE(kept.size(), 200u) << "the check wants a small kept set";
  const float inverse_temperature = params.greedy() ? 1.0f : 1.0f / params.temperature;
  std::vector<double> weight(kept.size());
  double total = 0;
  for (size_t i = 0; i < kept.size(); ++i) total += weight[i] = std::exp((logits[kept[i]] - logits[kept[0]]) * inverse_temperature);

  Sampler sampler(static_cast<int32_t>(logits.size()), params);
  std::map<int32_t, int> counts;
  std::vector<float> row;
  for (int i = 0; i < draws; ++i) {
    row = logits;
    ++counts[sampler.sample(row, {}, {})];
  }
  int inside = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    const double expected = weight[i] / total;
    const double seen = counts[kept[i]] / static_cast<double>(draws);
    // Four standard deviations of a binomial frequency, and a little more.
    EXPECT_NEAR(seen, expected, 4 * std::sqrt(expected * (1 - expected) / draws) + 1e-3) << "token " << kept[i];
    inside += counts[kept[i]];
  }
  EXPECT_EQ(inside, draws) << "a token outside the kept set was drawn";
}

TEST(Sampler, DrawsFollowTheKeptDistributionOnALargeVocabulary) {
  // A peaked distribution over 1500 tokens, shaped like a model's: a few
  // likely tokens, a long tail.
  std::mt19937 rng(11);
  std::vector<float> logits(1500);
  for (size_t t = 0; t < logits.size(); ++t) logits[t] = -1.5f * std::log(1.0f + static_cast<float>(t));
  std::shuffle(logits.begin(), logits.end(), rng);
  SamplingParams params;
  params.seed = 5;
  params.top_p = 0.8f;  // sorted walk over a nucleus
  expect_draws_follow_the_kept_distribution(params, logits, 40000);
  params.top_p = 1.0f;
  params.min_p = 0.02f;  // sorted walk over the min-p set
  expect_draws_follow_the_kept_distribution(params, logits, 40000);
  params.min_p = 0.0f;
  params.top_k = 30;  // sorted walk over the k
  expect_draws_follow_the_kept_distribution(params, logits, 40000);
}

TEST(Sampler, UnfilteredDrawsFollowTheWholeDistribution) {
  // No filter: the draw walks the vocabulary in id order, unsorted. The
  // likely tokens sit at scattered ids; the tail holds 5% of the mass.
  const int32_t vocab = 3000;
  std::vector<double> probs(vocab, 0.05 / (vocab - 4));
  probs[2900] = 0.4;
  probs[17] = 0.3;
  probs[1444] = 0.15;
  probs[600] = 0.1;
  SamplingParams params;
  params.seed = 9;
  Sampler sampler(vocab, params);
  std::map<int32_t, int> counts;
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) {
    auto logits = logits_from_probs(probs);
    ++counts[sampler.sample(logits, {}, {})];
  }
  int tail = draws;
  for (int32_t t : {2900, 17, 1444, 600}) {
    EXPECT_NEAR(counts[t] / static_cast<double>(draws), probs[t], 0.01) << "token " << t;
    tail -= counts[t];
  }
  EXPECT_NEAR(tail / static_cast<double>(draws), 0.05, 0.006);
}

TEST(Sampler, SameSeedSameTokensWithEveryFilter) {
  const std::vector<float> base = random_logits(1500, 8);
  for (int filter = 0; filter < 4; ++filter) {
    SamplingParams params;
    params.temperature = 0.7f;
    params.seed = 1234;
    if (filter == 1) params.top_p = 0.9f;
    if (filter == 2) params.top_k = 40;
    if (filter == 3) params.min_p = 0.05f;
    auto run = [&] {
      Sampler sampler(1500, params);
      std::vector<int32_t> out;
      for (int i = 0; i < 50; ++i) {
        std::vector<float> logits = base;
        out.push_back(sampler.sample(logits, {}, {}));
      }
      return out;
    };
    EXPECT_EQ(run(), run()) << "filter " << filter;
  }
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

namespace keel {
namespace {

// Samplers that share one scratch (as an engine's requests do) draw exactly
// what each draws with its own, however their calls interleave: the scratch
// carries nothing from one call to the next.
TEST(SamplerScratch, SharedScratchDrawsWhatOwnScratchDraws) {
  constexpr int32_t kVocab = 3000;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<SamplingParams> settings(4);
  settings[0].top_p = 0.9f;
  settings[1].top_k = 40;
  settings[2].min_p = 0.05f;
  settings[3].repetition_penalty = 1.3f;
  for (size_t i = 0; i < settings.size(); ++i) settings[i].seed = 100 + i;
  SamplerScratch shared(kVocab);
  std::vector<Sampler> alone, sharing;
  for (const SamplingParams& p : settings) {
    alone.emplace_back(kVocab, p);
    sharing.emplace_back(kVocab, p, &shared);
  }
  std::vector<int32_t> history = {5, 17, 5, 2999};
  for (int step = 0; step < 50; ++step)
    for (size_t i = 0; i < settings.size(); ++i) {
      std::vector<float> logits(kVocab);
      for (float& l : logits) l = normal(rng);
      std::vector<float> copy = logits;
      const int32_t a = alone[i].sample(logits, history, history);
      const int32_t b = sharing[i].sample(copy, history, history);
      ASSERT_EQ(a, b) << "setting " << i << " step " << step;
      history.push_back(a);
    }
}

TEST(SamplerScratch, ScratchOfAnotherVocabularyIsAProgrammerError) {
  SamplerScratch scratch(10);
  EXPECT_DEATH(Sampler(11, SamplingParams{}, &scratch), "another vocabulary");
}

}  // namespace
}  // namespace keel
