// The chat page (src/server/chat_page/chat.html), compiled into the binary
// by cmake/EmbedFile.cmake and served at / (off with --no-ui).
#pragma once

#include <string_view>

namespace keel {

std::string_view chat_page_html();

}  // namespace keel
