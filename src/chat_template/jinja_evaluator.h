// Tree-walking evaluator for parsed Jinja templates. Rendering is bounded
// (jinja_render_limits.h): output size, work steps (statements run, loop
// iterations, macro calls), work bytes (values built, searched or compared
// by operators, filters, tests and calls, and text written) and macro call
// depth are capped, and every value a template builds stays within
// kMaxValueFootprint and kMaxValueDepth (jinja_value.h); exceeding one is an
// Error.
#pragma once

#include <cstdint>
#include <string>

#include "chat_template/jinja_ast.h"
#include "chat_template/jinja_render_limits.h"
#include "chat_template/jinja_value.h"
#include "core/result.h"

namespace keel::jinja {

// Renders `program` with `variables` (a dict value) on top of the globals.
Result<std::string> render_program(const StatementList& program, const ValueDict& variables,
                                   const RenderLimits& limits = {});

}  // namespace keel::jinja
