// Jinja parser: tokens -> syntax tree. Follows Jinja2's grammar and operator
// precedence (filters and tests bind tighter than arithmetic, so
// `messages|length - 1` is (messages|length) - 1). Constructs outside the
// supported subset produce an Error naming the construct and its line.
#pragma once

#include <string>

#include "chat_template/jinja_ast.h"
#include "core/result.h"

namespace keel::jinja {

// Parses a whole template (HF whitespace settings) into its statement list.
Result<StatementList> parse_template(const std::string& source);

}  // namespace keel::jinja
