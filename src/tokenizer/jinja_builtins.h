// The library a template can call: filters (x | name), tests (x is name),
// methods of str/dict values (s.strip(), d.get(k)) and global functions
// (range, namespace, raise_exception, strftime_now). Behaviour follows
// Jinja2 and Python as the HF chat templates use them.
#pragma once

#include <string>

#include "core/result.h"
#include "tokenizer/jinja_value.h"

namespace keel::jinja {

// Applies filter `name` to `value`; unknown filters are an Error naming them.
Result<Value> apply_filter(const std::string& name, const Value& value, const CallArguments& arguments);

// Evaluates test `name` on `value`; unknown tests are an Error naming them.
Result<bool> apply_test(const std::string& name, const Value& value, const CallArguments& arguments);

// True when `object` has a method `name` that call_method implements.
bool has_method(const Value& object, const std::string& name);
Result<Value> call_method(const Value& object, const std::string& name, const CallArguments& arguments);

// The global functions every template sees. strftime_now reads the clock.
ValueDict make_global_functions();

// Strings are UTF-8; Python indexes them by code point.
std::vector<std::string> split_code_points(const std::string& text);

// Marks errors raised by raise_exception, whose message must reach the
// caller unchanged (no line decoration).
inline constexpr const char* kRaisedErrorPrefix = "\x01raise:";

}  // namespace keel::jinja
