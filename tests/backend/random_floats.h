// Seeded normal random floats: the inputs of the backend tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace keel::testing {

inline std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> out(n);
  for (float& v : out) v = normal(rng);
  return out;
}

}  // namespace keel::testing
