#include "bench/synthetic_text.h"

#include <array>
#include <string_view>

namespace keel::bench {
namespace {

constexpr std::array<std::string_view, 64> kWords = {
    "the",   "river",  "stone", "light",  "market", "window", "garden", "paper",  "train",  "music",  "bread",
    "cloud", "winter", "road",  "house",  "table",  "letter", "summer", "forest", "city",   "water",  "horse",
    "field", "story",  "clock", "bridge", "island", "storm",  "apple",  "morning", "engine", "sea",   "green",
    "quiet", "small",  "old",   "bright", "heavy",  "early",  "simple", "strong", "warm",   "open",   "long",
    "walks", "finds",  "holds", "builds", "reads",  "turns",  "keeps",  "brings", "makes",  "sees",   "and",
    "of",    "with",   "under", "near",   "after",  "before", "over",   "into",   "from"};

}  // namespace

SeededRandom::SeededRandom(uint64_t seed, std::initializer_list<uint64_t> parts) : state_(seed) {
  for (const uint64_t part : parts) state_ = next() ^ (part * 0x9E3779B97F4A7C15ULL);
}

uint64_t SeededRandom::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int64_t SeededRandom::between(int64_t low, int64_t high) {
  if (high <= low) return low;
  return low + static_cast<int64_t>(next() % static_cast<uint64_t>(high - low + 1));
}

double SeededRandom::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::string synthetic_text(SeededRandom& random, int32_t words) {
  std::string text;
  for (int32_t i = 0; i < words; ++i) {
    if (i > 0) text += ' ';
    text += kWords[random.next() % kWords.size()];
  }
  if (words > 0) text += '.';
  return text;
}

}  // namespace keel::bench
