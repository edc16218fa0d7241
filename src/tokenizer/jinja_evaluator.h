// Tree-walking evaluator for parsed Jinja templates. Rendering is bounded so
// that no template can hang or exhaust memory or the stack: output size,
// total work steps (statements run, loop iterations, macro calls) and macro
// call depth are capped by RenderLimits; exceeding one is an Error.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_value.h"

namespace keel::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;  // 64 MiB of rendered text
  int64_t max_steps = 1'000'000;               // statements + iterations + calls
  int max_call_depth = 64;                     // nested macro calls (recursion)
};

// Renders `program` with `variables` (a dict value) on top of the globals.
Result<std::string> render_program(const StatementList& program, const ValueDict& variables,
                                   const RenderLimits& limits = {});

}  // namespace keel::jinja
