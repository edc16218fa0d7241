#include "grammar/utf8_ranges.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/utf8.h"

namespace keel::grammar {
namespace {

bool matches(const std::vector<ByteRangeSequence>& patterns, const std::string& bytes) {
  for (const ByteRangeSequence& p : patterns) {
    if (static_cast<size_t>(p.length) != bytes.size()) continue;
    bool all = true;
    for (size_t i = 0; i < bytes.size(); ++i) {
      const auto b = static_cast<uint8_t>(bytes[i]);
      all = all && b >= p.lo[i] && b <= p.hi[i];
    }
    if (all) return true;
  }
  return false;
}

bool in(const std::vector<CodePointRange>& ranges, char32_t c) {
  for (const auto& r : ranges)
    if (c >= r.first && c <= r.last) return true;
  return false;
}

// Every scalar value's encoding matches the patterns exactly when the value is in the set.
void expect_exact(const std::vector<CodePointRange>& ranges) {
  const auto patterns = utf8_sequences(ranges);
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string bytes;
    utf8::append(bytes, c);
    ASSERT_EQ(matches(patterns, bytes), in(ranges, c)) << "code point " << static_cast<uint32_t>(c);
  }
}

TEST(Utf8Ranges, RangesThatCrossEveryLengthAndContinuationBoundary) {
  expect_exact({{0x41, 0x5A}});
  expect_exact({{0x70, 0x90}});                 // 1 and 2 bytes
  expect_exact({{0x7FA, 0x10005}});             // 2, 3 and 4 bytes, surrogates inside
  expect_exact({{0x1234, 0x1234}, {0xFFFF, 0x10000}});
  expect_exact(complement({{'"', '"'}, {'\\', '\\'}, {0, 0x1F}}));  // a JSON string's characters
}

TEST(Utf8Ranges, RandomSets) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<CodePointRange> ranges;
    for (int i = 0; i < 3; ++i) {
      const char32_t a = rng() % 0x110000, b = std::min<char32_t>(kMaxCodePoint, a + rng() % 70000);
      ranges.push_back({a, b});
    }
    expect_exact(ranges);
  }
}

TEST(Utf8Ranges, ComplementCoversTheRest) {
  const auto rest = complement({{0, 0x40}, {0x100, kMaxCodePoint}});
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].first, 0x41u);
  EXPECT_EQ(rest[0].last, 0xFFu);
}

}  // namespace
}  // namespace keel::grammar
