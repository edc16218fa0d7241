// parse_gbnf: a grammar written in GBNF, the notation llama.cpp popularised
// and the one `--grammar` and `response_format: {"type": "grammar"}` take.
//
//   root   ::= object           # every grammar has a rule called root
//   object ::= "{" ws pair ("," ws pair)* "}"
//   pair   ::= [a-z]+ ":" [0-9]{1,3}
//   ws     ::= [ \t\n]*
//
// Rules are `name ::= alternatives`, names [A-Za-z0-9_-]+; a rule may go on
// over several lines (it ends where the next `name ::=` begins). Items:
// "literal", [class] / [^class] over code points with ranges, . (any
// character), (group), rule names; postfix *, +, ?, {m}, {m,}, {m,n}.
// Escapes in literals and classes: \n \r \t \\ \" \[ \] \- \^ \/ \xHH
// \uHHHH \UHHHHHHHH. `#` starts a comment. Left recursion is refused (the
// matcher needs a byte to move), as is a grammar past kMaxGrammarElements.
#pragma once

#include <string_view>

#include "core/result.h"
#include "grammar/grammar.h"

namespace keel::grammar {

inline constexpr size_t kMaxGrammarElements = 1 << 18;
inline constexpr size_t kMaxGrammarText = 1 << 20;

Result<Grammar> parse_gbnf(std::string_view text);

}  // namespace keel::grammar
