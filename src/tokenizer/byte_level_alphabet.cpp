#include "tokenizer/byte_level_alphabet.h"

#include <array>

#include "core/utf8.h"

namespace keel::byte_level {
namespace {

bool keeps_own_value(unsigned byte) {
  return (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
}

struct Alphabet {
  std::array<char32_t, 256> char_of_byte{};
  std::array<std::string, 256> utf8_of_byte{};
  // Every alphabet character is below U+0144, so a flat table inverts it.
  std::array<int16_t, 0x144> byte_of_char{};

  Alphabet() {
    byte_of_char.fill(-1);
    char32_t next_extra = 0x100;
    for (unsigned byte = 0; byte < 256; ++byte) {
      const char32_t cp = keeps_own_value(byte) ? byte : next_extra++;
      char_of_byte[byte] = cp;
      utf8::append(utf8_of_byte[byte], cp);
      byte_of_char[cp] = static_cast<int16_t>(byte);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

char32_t char_for_byte(uint8_t byte) { return alphabet().char_of_byte[byte]; }

std::string encode(std::string_view bytes) {
  const Alphabet& table = alphabet();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char byte : bytes) out.append(table.utf8_of_byte[static_cast<uint8_t>(byte)]);
  return out;
}

std::string decode(std::string_view text) {
  const Alphabet& table = alphabet();
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    char32_t cp = 0;
    const size_t length = utf8::decode_at(text, pos, cp);
    if (length == 0) {  // not UTF-8 at all: pass the byte through
      out.push_back(text[pos]);
      ++pos;
      continue;
    }
    if (cp < table.byte_of_char.size() && table.byte_of_char[cp] >= 0) {
      out.push_back(static_cast<char>(table.byte_of_char[cp]));
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

}  // namespace keel::byte_level
