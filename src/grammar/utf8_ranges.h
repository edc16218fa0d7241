// utf8_ranges: a set of code points as UTF-8 byte patterns, so that a
// character class can be matched one byte at a time.
//
// Every code point range becomes one or more ByteRangeSequences: n bytes,
// the i-th byte in [lo[i], hi[i]]. Their union matches exactly the UTF-8
// encodings of the set's scalar values (surrogates are never encodable).
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace keel::grammar {

struct CodePointRange {
  char32_t first = 0;
  char32_t last = 0;  // inclusive
};

struct ByteRangeSequence {
  int length = 0;
  std::array<uint8_t, 4> lo{};
  std::array<uint8_t, 4> hi{};
};

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

// The complement of `ranges` within 0 .. U+10FFFF.
std::vector<CodePointRange> complement(std::vector<CodePointRange> ranges);

// The byte patterns of `ranges` (any order, may overlap).
std::vector<ByteRangeSequence> utf8_sequences(std::vector<CodePointRange> ranges);

}  // namespace keel::grammar
