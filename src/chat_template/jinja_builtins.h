// The library a template can call: filters (x | name), tests (x is name),
// methods of str/dict values (s.strip(), d.get(k)) and global functions
// (range, namespace, raise_exception, strftime_now). Behaviour follows
// Jinja2 and Python as the HF chat templates use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat_template/jinja_value.h"
#include "core/result.h"

namespace keel::jinja {

// Applies filter `name` to `value`; unknown filters are an Error naming them.
Result<Value> apply_filter(const std::string& name, const Value& value, const CallArguments& arguments);

// The work apply_filter(name, value, ...) does, in bytes as the evaluator
// counts work: the value's own bytes, plus one Value per item (per code point
// of a string) for filters that iterate it, plus its whole footprint for
// filters that compare, print or hash every item, times log2 of the item
// count for those that sort.
size_t filter_work(const std::string& name, const Value& value);

// Evaluates test `name` on `value`; unknown tests are an Error naming them.
Result<bool> apply_test(const std::string& name, const Value& value, const CallArguments& arguments);

// True when `object` has a method `name` that call_method implements.
bool has_method(const Value& object, const std::string& name);
Result<Value> call_method(const Value& object, const std::string& name, const CallArguments& arguments);

// The global functions every template sees. strftime_now reads the clock.
ValueDict make_global_functions();

// Strings are UTF-8; Python indexes them by code point. A byte that does not
// start a well-formed sequence counts as one code point.
std::vector<std::string> split_code_points(const std::string& text);
// Where each code point starts: split_code_points without making a string
// for each one.
std::vector<size_t> code_point_offsets(const std::string& text);
size_t count_code_points(const std::string& text);
// The code point at `index` (a negative one counts from the end), if any.
std::optional<std::string> code_point_at(const std::string& text, int64_t index);

// Marks errors raised by raise_exception, whose message must reach the
// caller unchanged (no line decoration).
inline constexpr const char* kRaisedErrorPrefix = "\x01raise:";

}  // namespace keel::jinja
