// The GPT-2 byte-to-unicode alphabet used by byte-level BPE vocabularies.
//
// Byte-level BPE works on bytes, but its vocabulary files are text, so every
// byte is written as one printable code point: bytes that are printable
// Latin-1 keep their value, the other 68 map to U+0100.. in byte order
// (space -> 'Ġ', '\n' -> 'Ċ').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace keel::byte_level {

// The code point that stands for `byte` in vocabulary text.
char32_t char_for_byte(uint8_t byte);

// Maps every byte of `bytes` to its UTF-8 encoded alphabet character.
std::string encode(std::string_view bytes);

// Inverse of encode(). A character outside the alphabet (for example in an
// added token such as "<|im_start|>\n") is kept as its own UTF-8 bytes, as the
// Hugging Face ByteLevel decoder does.
std::string decode(std::string_view text);

}  // namespace keel::byte_level
