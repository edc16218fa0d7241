// Seeded filler text for workloads. The client does not know the server's
// tokenizer, so prompt lengths are set in words of a plain English list:
// most such words are one token in the BPE vocabularies keel serves, and the
// server's usage reports the exact count.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

namespace keel::bench {

// A deterministic 64-bit generator (SplitMix64): the same seed gives the
// same text on every platform and standard library.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  // One stream per (seed, parts...): request 17 of seed 1 never depends on request 16.
  SeededRandom(uint64_t seed, std::initializer_list<uint64_t> parts);
  uint64_t next();
  // Uniform in [low, high].
  int64_t between(int64_t low, int64_t high);
  // Uniform in [0, 1).
  double unit();

 private:
  uint64_t state_;
};

// `words` words separated by single spaces, ending with a period.
std::string synthetic_text(SeededRandom& random, int32_t words);

}  // namespace keel::bench
