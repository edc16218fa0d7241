// The bounds one rendering of a Jinja template stays within, so that no
// template can hang or exhaust memory or the stack. Each default allows
// about a second of work in a release build, far more than real chat
// templates need on the longest conversations; exceeding one makes the
// render an Error. (Limits on single values are in jinja_value.h.)
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{64} << 20;  // 64 MiB of rendered text
  int64_t max_steps = 1'000'000;               // statements + iterations + calls
  size_t max_work_bytes = size_t{256} << 20;   // bytes of values built, searched, compared or written
  int max_call_depth = 64;                     // nested macro calls (recursion)
  int max_nesting_depth = 500;                 // blocks, expressions and calls inside each other (the stack)
};

}  // namespace keel::jinja
