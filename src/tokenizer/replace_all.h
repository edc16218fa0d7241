// replace_all: every occurrence of `from` in `text` replaced by `to`, left
// to right, without rescanning replaced text (Python's str.replace).
// Shared by the normalizers (encoder) and the decoder's space clean-up.
#pragma once

#include <string>
#include <string_view>

namespace keel {

void replace_all(std::string& text, std::string_view from, std::string_view to);

}  // namespace keel
