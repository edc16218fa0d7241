// UTF-8 validation for names read from untrusted files.
#pragma once

#include <string_view>

namespace keel {

// True when `text` is well-formed UTF-8: no overlong encodings, no UTF-16
// surrogates, nothing above U+10FFFF, no truncated sequences.
bool is_valid_utf8(std::string_view text);

}  // namespace keel
