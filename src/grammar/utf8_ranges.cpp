#include "grammar/utf8_ranges.h"

#include <algorithm>

namespace keel::grammar {
namespace {

// Sorted, overlaps and neighbours merged, surrogates and values past
// U+10FFFF removed.
std::vector<CodePointRange> normalise(std::vector<CodePointRange> ranges) {
  std::vector<CodePointRange> clipped;
  for (CodePointRange r : ranges) {
    r.last = std::min(r.last, kMaxCodePoint);
    if (r.first > r.last) continue;
    // Split around the surrogates D800..DFFF, which UTF-8 cannot encode.
    if (r.first < 0xD800 && r.last >= 0xD800) {
      clipped.push_back({r.first, 0xD7FF});
      if (r.last > 0xDFFF) clipped.push_back({0xE000, r.last});
    } else if (r.first >= 0xD800 && r.first <= 0xDFFF) {
      if (r.last > 0xDFFF) clipped.push_back({0xE000, r.last});
    } else {
      clipped.push_back(r);
    }
  }
  std::sort(clipped.begin(), clipped.end(), [](auto a, auto b) { return a.first < b.first; });
  std::vector<CodePointRange> merged;
  for (const CodePointRange& r : clipped) {
    if (!merged.empty() && r.first <= merged.back().last + 1)
      merged.back().last = std::max(merged.back().last, r.last);
    else
      merged.push_back(r);
  }
  return merged;
}

int encoded_length(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

std::array<uint8_t, 4> encode(char32_t c, int length) {
  std::array<uint8_t, 4> out{};
  static constexpr uint8_t kLead[] = {0, 0x00, 0xC0, 0xE0, 0xF0};
  for (int i = length - 1; i > 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<uint8_t>(0x80 | (c & 0x3F));
    c >>= 6;
  }
  out[0] = static_cast<uint8_t>(kLead[length] | c);
  return out;
}

// [first, last] share one encoded length. Splits the range until, in each
// piece, every byte position ranges independently of the others: then
// the piece is one ByteRangeSequence.
void split(char32_t first, char32_t last, int length, std::vector<ByteRangeSequence>& out) {
  for (int i = 1; i < length; ++i) {
    const char32_t low_bits = (char32_t{1} << (6 * i)) - 1;  // the last i continuation bytes
    if ((first & ~low_bits) == (last & ~low_bits)) continue;
    if ((first & low_bits) != 0) {  // first does not start a full run of its i last bytes
      split(first, first | low_bits, length, out);
      split((first | low_bits) + 1, last, length, out);
      return;
    }
    if ((last & low_bits) != low_bits) {  // last does not end one
      split(first, (last & ~low_bits) - 1, length, out);
      split(last & ~low_bits, last, length, out);
      return;
    }
  }
  out.push_back(ByteRangeSequence{length, encode(first, length), encode(last, length)});
}

}  // namespace

std::vector<CodePointRange> complement(std::vector<CodePointRange> ranges) {
  std::vector<CodePointRange> out;
  char32_t next = 0;
  std::vector<CodePointRange> taken = normalise(std::move(ranges));
  taken.push_back({0xD800, 0xDFFF});
  std::sort(taken.begin(), taken.end(), [](auto a, auto b) { return a.first < b.first; });
  for (const CodePointRange& r : taken) {
    if (r.first > next) out.push_back({next, r.first - 1});
    next = std::max<char32_t>(next, r.last + 1);
  }
  if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
  return out;
}

std::vector<ByteRangeSequence> utf8_sequences(std::vector<CodePointRange> ranges) {
  static constexpr char32_t kLengthEnds[] = {0x7F, 0x7FF, 0xFFFF, kMaxCodePoint};
  std::vector<ByteRangeSequence> out;
  for (const CodePointRange& r : normalise(std::move(ranges))) {
    char32_t first = r.first;
    while (first <= r.last) {
      const int length = encoded_length(first);
      const char32_t last = std::min(r.last, kLengthEnds[length - 1]);
      split(first, last, length, out);
      first = last + 1;
    }
  }
  return out;
}

}  // namespace keel::grammar
