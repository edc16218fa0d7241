#include "engine/utf8_stream.h"

#include "core/utf8.h"

namespace keel {
namespace {

// Length of the longest prefix of a well-formed sequence at `pos` (1 .. 3),
// for a position where no complete well-formed sequence starts: the bytes
// that form one "maximal subpart" (Unicode 15, section 3.9, U+FFFD policy).
size_t invalid_subpart_length(std::string_view text, size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  size_t expected = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) expected = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    expected = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    expected = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 1;  // cannot start a sequence
  }
  size_t length = 1;
  while (length < expected && pos + length < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos + length]);
    const bool ok = length == 1 ? (byte >= low && byte <= high) : (byte >= 0x80 && byte <= 0xBF);
    if (!ok) break;
    ++length;
  }
  return length;
}

}  // namespace

void append_sanitized(std::string_view text, std::string& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t code_point = 0;
    const size_t length = utf8::decode_at(text, pos, code_point);
    if (length > 0) {
      out.append(text.substr(pos, length));
      pos += length;
    } else {
      out.append(utf8::kReplacementUtf8);
      pos += invalid_subpart_length(text, pos);
    }
  }
}

Utf8Stream::Utf8Stream(size_t max_piece) { pending_.reserve(max_piece + 4); }

void Utf8Stream::push(std::string_view bytes, std::string& out) {
  pending_.append(bytes);
  const size_t ready = pending_.size() - utf8::incomplete_tail_length(pending_);
  append_sanitized(std::string_view(pending_).substr(0, ready), out);
  pending_.erase(0, ready);
}

void Utf8Stream::flush(std::string& out) {
  append_sanitized(pending_, out);
  pending_.clear();
}

}  // namespace keel
