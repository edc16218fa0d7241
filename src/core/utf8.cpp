#include "core/utf8.h"

namespace keel::utf8 {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The allowed range of the second byte after `lead` (Unicode Table 3-7):
// it excludes overlong forms, surrogates and code points above U+10FFFF.
bool second_byte_ok(unsigned char lead, unsigned char second) {
  switch (lead) {
    case 0xE0: return second >= 0xA0 && second <= 0xBF;
    case 0xED: return second >= 0x80 && second <= 0x9F;
    case 0xF0: return second >= 0x90 && second <= 0xBF;
    case 0xF4: return second >= 0x80 && second <= 0x8F;
    default: return is_continuation(second);
  }
}

// Number of bytes a sequence starting with `lead` needs, 0 if no sequence
// may start with it.
size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// How many bytes starting at `pos` form a valid prefix of a sequence (the
// "maximal subpart" of the Unicode standard); equals the full length when
// the sequence is complete.
size_t valid_prefix_length(std::string_view text, size_t pos, size_t& needed) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  needed = sequence_length(lead);
  if (needed == 0) return 0;
  size_t length = 1;
  while (length < needed && pos + length < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos + length]);
    const bool ok = length == 1 ? second_byte_ok(lead, byte) : is_continuation(byte);
    if (!ok) break;
    ++length;
  }
  return length;
}

}  // namespace

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

size_t decode_at(std::string_view text, size_t pos, char32_t& cp) {
  size_t needed = 0;
  const size_t length = valid_prefix_length(text, pos, needed);
  if (needed == 0 || length != needed) return 0;
  const auto lead = static_cast<unsigned char>(text[pos]);
  static constexpr unsigned char kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  cp = lead & kLeadMask[length];
  for (size_t i = 1; i < length; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  return length;
}

size_t length_at(std::string_view text, size_t pos) {
  const size_t length = sequence_length(static_cast<unsigned char>(text[pos]));
  return length == 0 ? 1 : length;
}

bool is_valid(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    char32_t cp = 0;
    const size_t length = decode_at(text, pos, cp);
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string sanitize(std::string_view text) {
  if (is_valid(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t needed = 0;
    const size_t length = valid_prefix_length(text, pos, needed);
    if (needed != 0 && length == needed) {
      out.append(text.substr(pos, length));
      pos += length;
    } else {
      // One replacement per maximal subpart; a byte that cannot start a
      // sequence is a subpart of its own.
      out.append(kReplacementUtf8);
      pos += length == 0 ? 1 : length;
    }
  }
  return out;
}

size_t incomplete_tail_length(std::string_view text) {
  const size_t limit = text.size() < 3 ? text.size() : 3;
  for (size_t back = 1; back <= limit; ++back) {
    const size_t pos = text.size() - back;
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (is_continuation(byte)) continue;
    size_t needed = 0;
    const size_t length = valid_prefix_length(text, pos, needed);
    // Hold back only a well-formed prefix that reaches the end of the text.
    return (needed > back && length == back) ? back : 0;
  }
  return 0;
}

}  // namespace keel::utf8
