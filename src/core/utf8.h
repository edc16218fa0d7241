// UTF-8 helpers shared by the GGUF reader, the tokenizers and the streaming detokenizer.
//
// Invalid input is never rejected: it is repaired the way Python's
// bytes.decode("utf-8", "replace") and Rust's String::from_utf8_lossy do it
// (each maximal invalid subpart becomes one U+FFFD), because that is what
// the Hugging Face reference produces for the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keel::utf8 {

inline constexpr char32_t kReplacementChar = 0xFFFD;
inline constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// Appends the UTF-8 encoding of `code_point` (must be a valid scalar value).
void append(std::string& out, char32_t code_point);

// Length in bytes of the well-formed UTF-8 sequence starting at `pos`, or 0
// when the bytes there do not form one. `code_point` receives its value.
size_t decode_at(std::string_view text, size_t pos, char32_t& code_point);

// Length of the sequence at `pos` when `text` is known to be valid UTF-8.
size_t length_at(std::string_view text, size_t pos);

bool is_valid(std::string_view text);

// Returns `text` with every maximal invalid subpart replaced by U+FFFD.
std::string sanitize(std::string_view text);

// Length of the trailing bytes of `text` that begin a well-formed sequence
// but stop before it is complete (0..3). A streaming decoder holds these
// back: the next bytes may complete the character.
size_t incomplete_tail_length(std::string_view text);

}  // namespace keel::utf8
