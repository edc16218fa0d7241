// Arithmetic operators of the Jinja evaluator, as Python defines them on the
// values a template can hold.
#pragma once

#include <string>

#include "chat_template/jinja_value.h"
#include "core/result.h"

namespace keel::jinja {

// `left op right` for op in + - * / // % **. An Error (without the template
// line, which the caller adds) for unsupported operand types, division by
// zero, integer overflow and repetitions past the value size limit.
Result<Value> arithmetic(const std::string& op, const Value& left, const Value& right);

}  // namespace keel::jinja
