// Unicode NFC for tokenizers whose tokenizer.json asks for it (Qwen2/3).
//
// Uses ICU when keel was built with it (KEEL_HAVE_ICU). Without ICU, text
// is returned unchanged: that is exact for text already in NFC, which is
// nearly all real input (keyboards and the web produce NFC), and wrong only
// for decomposed sequences such as "e" + U+0301.
#pragma once

#include <string>
#include <string_view>

namespace keel {

bool nfc_available();
std::string to_nfc(std::string_view utf8_text);  // `utf8_text` must be valid UTF-8

}  // namespace keel
