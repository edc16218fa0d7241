#include "tokenizer/unicode_nfc.h"

#ifdef KEEL_HAVE_ICU
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>
#endif

namespace keel {
namespace {

// Code points below U+0300 are all NFC-stable and never combine with a
// following character unless a combining mark (>= U+0300) follows, so
// such text is its own NFC and the conversion can be skipped.
bool trivially_nfc(std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0xCC) return false;  // lead bytes of U+0300 and above
  }
  return true;
}

}  // namespace

#ifdef KEEL_HAVE_ICU

bool nfc_available() { return true; }

std::string to_nfc(std::string_view text) {
  if (trivially_nfc(text)) return std::string(text);
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfc = unorm2_getNFCInstance(&status);
  if (U_FAILURE(status)) return std::string(text);

  std::vector<UChar> utf16(text.size() + 1);
  int32_t utf16_length = 0;
  u_strFromUTF8(utf16.data(), static_cast<int32_t>(utf16.size()), &utf16_length, text.data(),
                static_cast<int32_t>(text.size()), &status);
  if (U_FAILURE(status)) return std::string(text);

  // NFC of a string is at most three times as long in UTF-16 code units.
  std::vector<UChar> normalized(static_cast<size_t>(utf16_length) * 3 + 1);
  const int32_t normalized_length = unorm2_normalize(nfc, utf16.data(), utf16_length, normalized.data(),
                                                     static_cast<int32_t>(normalized.size()), &status);
  if (U_FAILURE(status)) return std::string(text);

  std::string out(static_cast<size_t>(normalized_length) * 3 + 1, '\0');
  int32_t out_length = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_length, normalized.data(), normalized_length,
              &status);
  if (U_FAILURE(status)) return std::string(text);
  out.resize(static_cast<size_t>(out_length));
  return out;
}

#else

bool nfc_available() { return false; }

std::string to_nfc(std::string_view text) { return std::string(text); }

#endif

}  // namespace keel
