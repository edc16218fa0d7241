// gbnf_literal: bytes as a GBNF literal ("..."), for code that writes
// grammars (JSON schemas, tool-call formats): quotes and backslashes
// escaped, control bytes as \xHH, UTF-8 passed through as characters.
#pragma once

#include <string>
#include <string_view>

namespace keel::grammar {

std::string gbnf_literal(std::string_view bytes);

}  // namespace keel::grammar
