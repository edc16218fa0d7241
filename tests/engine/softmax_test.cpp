#include "engine/softmax.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace keel {
namespace {

int32_t ulps_apart(float a, float b) { return std::abs(std::bit_cast<int32_t>(a) - std::bit_cast<int32_t>(b)); }

TEST(Softmax, WeightsAreWithinOneUlpOfStdExp) {
  // Every float in [-87, 0] would take long; a dense sweep of 1M of them
  // covers every binade.
  std::vector<float> logits;
  for (float x = 0.0f; x >= -87.0f; x -= 87.0f / (1 << 20)) logits.push_back(x);
  std::vector<float> weights(logits.size());
  std::vector<double> block_sums(softmax_blocks(logits.size()));
  softmax_weights(logits, 0.0f, weights, block_sums);
  int32_t worst = 0;
  for (size_t i = 0; i < logits.size(); ++i) worst = std::max(worst, ulps_apart(weights[i], std::exp(logits[i])));
  EXPECT_LE(worst, 1);
  EXPECT_EQ(weights[0], 1.0f);  // exp(0), exactly: the top token's weight
}

TEST(Softmax, TinyAndInfiniteLogitsWeighNothing) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> logits = {3.0f, 3.0f - 88.0f, -inf, 2.0f, 3.0f - 200.0f};
  std::vector<float> weights(logits.size());
  std::vector<double> block_sums(1);
  const double sum = softmax_weights(logits, 3.0f, weights, block_sums);
  EXPECT_EQ(weights[1], 0.0f);
  EXPECT_EQ(weights[2], 0.0f);
  EXPECT_EQ(weights[4], 0.0f);
  EXPECT_NEAR(sum, 1.0 + std::exp(-1.0), 1e-7);
}

TEST(Softmax, BlockSumsAddUpToTheTotalAndSumAgrees) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (size_t vocab : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1000}, size_t{151936}}) {
    std::vector<float> logits(vocab);
    for (float& l : logits) l = normal(rng);
    const float max = logits[argmax(logits)];
    std::vector<float> weights(vocab);
    std::vector<double> block_sums(softmax_blocks(vocab));
    const double total = softmax_weights(logits, max, weights, block_sums);
    double blocks = 0, one_by_one = 0;
    for (double b : block_sums) blocks += b;
    for (float w : weights) one_by_one += w;
    EXPECT_EQ(total, blocks) << vocab;  // the same additions in the same order
    EXPECT_NEAR(total, one_by_one, 1e-12 * total) << vocab;
    EXPECT_EQ(softmax_sum(logits, max), total) << vocab;
  }
}

TEST(Softmax, ArgmaxTakesTheFirstOfTiesAndIgnoresNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> row(1000, -1.0f);
  row[700] = 5.0f;
  row[300] = 5.0f;
  row[10] = nan;
  EXPECT_EQ(argmax(row), 300);
  row[999] = 6.0f;  // in the tail after the sixteen-wide part
  EXPECT_EQ(argmax(row), 999);
  EXPECT_EQ(argmax(std::vector<float>{nan, 1.0f, 2.0f}), 0);  // as the one-pass loop: nothing beats a NaN first
  EXPECT_EQ(argmax(std::vector<float>{-0.0f, 0.0f}), 0);
  EXPECT_EQ(argmax(std::vector<float>{-std::numeric_limits<float>::infinity()}), 0);
}

}  // namespace
}  // namespace keel
