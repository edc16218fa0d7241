// Python methods of str and dict values that templates call, plus the
// global functions. The sandbox is immutable, so no list/dict mutators.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <optional>
#include <set>

#include "chat_template/checked_int64.h"
#include "chat_template/jinja_builtins.h"

namespace keel::jinja {
namespace {

bool is_python_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

Value positional_or(const CallArguments& arguments, size_t index, Value fallback) {
  return index < arguments.positional.size() ? arguments.positional[index] : fallback;
}

Error method_error(const std::string& type, const std::string& method, const std::string& message) {
  return Error{type + "." + method + "(): " + message};
}

// str.strip family: with no argument (or None) strips whitespace, else any of `chars`.
std::string strip_chars(const std::string& text, const Value& chars, bool left, bool right) {
  auto strip_it = [&](char c) {
    return chars.is_string() ? chars.as_string().find(c) != std::string::npos : is_python_space(c);
  };
  size_t begin = 0;
  size_t end = text.size();
  if (left) while (begin < end && strip_it(text[begin])) ++begin;
  if (right) while (end > begin && strip_it(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

Value python_split(const std::string& text, const Value& separator, int64_t max_split) {
  std::vector<Value> parts;
  if (!separator.is_string()) {  // split on runs of whitespace, dropping empties
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && is_python_space(text[i])) ++i;
      if (i >= text.size()) break;
      if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
        std::string rest = text.substr(i);
        while (!rest.empty() && is_python_space(rest.back())) rest.pop_back();
        parts.emplace_back(rest);
        break;
      }
      size_t start = i;
      while (i < text.size() && !is_python_space(text[i])) ++i;
      parts.emplace_back(text.substr(start, i - start));
    }
    return Value::list(std::move(parts));
  }
  const std::string& sep = separator.as_string();
  size_t start = 0;
  while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
    size_t found = text.find(sep, start);
    if (found == std::string::npos) break;
    parts.emplace_back(text.substr(start, found - start));
    start = found + sep.size();
  }
  parts.emplace_back(text.substr(start));
  return Value::list(std::move(parts));
}

// startswith/endswith accept one prefix or a tuple of them.
Result<bool> affix_matches(const std::string& text, const Value& affix, bool at_start) {
  std::vector<Value> candidates = affix.is_list() ? affix.as_list().items : std::vector<Value>{affix};
  for (const Value& candidate : candidates) {
    if (!candidate.is_string()) return Error{"startswith/endswith: argument must be str or a tuple of str"};
    const std::string& part = candidate.as_string();
    if (part.size() > text.size()) continue;
    if (at_start ? text.compare(0, part.size(), part) == 0 : text.compare(text.size() - part.size(), part.size(), part) == 0) {
      return true;
    }
  }
  return false;
}

std::string title_case(const std::string& text, bool only_first) {
  std::string out = text;
  bool at_word_start = true;
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (only_first) {
      out[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
      continue;
    }
    out[i] = static_cast<char>(at_word_start ? std::toupper(c) : std::tolower(c));
    at_word_start = !std::isalpha(c);
  }
  return out;
}

Result<Value> call_string_method(const std::string& text, const std::string& name, const CallArguments& arguments) {
  if (name == "strip") return Value(strip_chars(text, positional_or(arguments, 0, Value::none()), true, true));
  if (name == "lstrip") return Value(strip_chars(text, positional_or(arguments, 0, Value::none()), true, false));
  if (name == "rstrip") return Value(strip_chars(text, positional_or(arguments, 0, Value::none()), false, true));
  if (name == "startswith" || name == "endswith") {
    if (arguments.positional.empty()) return method_error("str", name, "takes at least 1 argument");
    KEEL_ASSIGN_OR_RETURN(bool matches, affix_matches(text, arguments.positional[0], name == "startswith"));
    return Value(matches);
  }
  if (name == "split") {
    Value separator = positional_or(arguments, 0, Value::none());
    Value max_split = positional_or(arguments, 1, Value(-1));
    for (const auto& [key, value] : arguments.keyword) {
      if (key == "sep") separator = value;
      if (key == "maxsplit") max_split = value;
    }
    if (separator.is_string() && separator.as_string().empty()) return method_error("str", name, "empty separator");
    return python_split(text, separator, max_split.is_int() ? max_split.as_int() : -1);
  }
  if (name == "upper" || name == "lower") {
    std::string out = text;
    for (char& c : out) c = static_cast<char>(name == "upper" ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
    return Value(std::move(out));
  }
  if (name == "title") return Value(title_case(text, false));
  if (name == "capitalize") return Value(title_case(text, true));
  if (name == "replace") {
    if (arguments.positional.size() < 2) return method_error("str", name, "takes 2 arguments");
    CallArguments filter_arguments = arguments;
    return apply_filter("replace", Value(text), filter_arguments);
  }
  if (name == "find" || name == "count") {
    Value needle = positional_or(arguments, 0, Value::none());
    if (!needle.is_string()) return method_error("str", name, "argument must be str");
    const std::string& part = needle.as_string();
    if (name == "find") {
      size_t found = text.find(part);
      if (found == std::string::npos) return Value(-1);
      return Value(static_cast<int64_t>(count_code_points(text.substr(0, found))));
    }
    if (part.empty()) return Value(static_cast<int64_t>(count_code_points(text) + 1));
    int64_t count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
    return Value(count);
  }
  if (name == "join") {
    Value items = positional_or(arguments, 0, Value::none());
    if (!items.is_list()) return method_error("str", name, "expects a list");
    std::string out;
    for (size_t i = 0; i < items.as_list().items.size(); ++i) {
      const Value& item = items.as_list().items[i];
      if (!item.is_string()) return method_error("str", name, "sequence item " + std::to_string(i) + ": expected str");
      if (i > 0) out += text;
      out += item.as_string();
      if (out.size() > kMaxValueFootprint) {
        return method_error("str", name, "result larger than " + std::to_string(kMaxValueFootprint) + " bytes");
      }
    }
    return Value(std::move(out));
  }
  return method_error("str", name, "unsupported method");
}

Result<Value> call_dict_method(const ValueDict& dict, const std::string& name, const CallArguments& arguments) {
  if (name == "get") {
    if (arguments.positional.empty()) return method_error("dict", name, "takes at least 1 argument");
    const Value& key = arguments.positional[0];
    const Value* found = key.is_string() ? dict.find(key.as_string()) : nullptr;
    return found != nullptr ? *found : positional_or(arguments, 1, Value::none());
  }
  std::vector<Value> out;
  for (const auto& [key, value] : dict.entries) {
    if (name == "items") out.push_back(Value::list({Value(key), value}, true));
    if (name == "keys") out.emplace_back(key);
    if (name == "values") out.push_back(value);
  }
  if (name == "items" || name == "keys" || name == "values") return Value::list(std::move(out));
  return method_error("dict", name, "unsupported method");
}

Result<Value> range_function(const CallArguments& arguments) {
  std::vector<int64_t> bounds;
  for (const Value& argument : arguments.positional) {
    if (!argument.is_int()) return Error{"range(): arguments must be integers"};
    bounds.push_back(argument.as_int());
  }
  if (bounds.empty() || bounds.size() > 3) return Error{"range(): expects 1 to 3 arguments"};
  int64_t start = bounds.size() == 1 ? 0 : bounds[0];
  int64_t stop = bounds.size() == 1 ? bounds[0] : bounds[1];
  int64_t step = bounds.size() == 3 ? bounds[2] : 1;
  if (step == 0) return Error{"range(): step must not be zero"};
  // Same bound as Jinja's sandbox (MAX_RANGE): no template builds a giant list.
  constexpr int64_t kMaxRange = 100000;
  std::vector<Value> items;
  // A step that would overflow has passed `stop` (which fits in int64_t).
  for (std::optional<int64_t> i = start; i && (step > 0 ? *i < stop : *i > stop); i = checked_add(*i, step)) {
    if (static_cast<int64_t>(items.size()) >= kMaxRange) return Error{"range(): range too big (limit 100000)"};
    items.emplace_back(*i);
  }
  return Value::list(std::move(items));
}

// Bytes of the code point starting at text[i], judged by its lead byte.
size_t code_point_length(const std::string& text, size_t i) {
  unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
  return std::min(length, text.size() - i);
}

}  // namespace

std::vector<std::string> split_code_points(const std::string& text) {
  std::vector<std::string> points;
  for (size_t i = 0; i < text.size(); i += code_point_length(text, i)) {
    points.push_back(text.substr(i, code_point_length(text, i)));
  }
  return points;
}

std::vector<size_t> code_point_offsets(const std::string& text) {
  std::vector<size_t> offsets;
  for (size_t i = 0; i < text.size(); i += code_point_length(text, i)) offsets.push_back(i);
  return offsets;
}

size_t count_code_points(const std::string& text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); i += code_point_length(text, i)) ++count;
  return count;
}

std::optional<std::string> code_point_at(const std::string& text, int64_t index) {
  if (index < 0) index += static_cast<int64_t>(count_code_points(text));
  int64_t position = 0;
  for (size_t i = 0; i < text.size(); i += code_point_length(text, i), ++position) {
    if (position == index) return text.substr(i, code_point_length(text, i));
  }
  return std::nullopt;
}

bool has_method(const Value& object, const std::string& name) {
  static const std::set<std::string> kStringMethods = {"strip", "lstrip", "rstrip", "startswith", "endswith", "split",
                                                       "upper", "lower", "title", "capitalize", "replace", "find",
                                                       "count", "join"};
  static const std::set<std::string> kDictMethods = {"get", "items", "keys", "values"};
  if (object.is_string()) return kStringMethods.count(name) != 0;
  if (object.is_dict()) return kDictMethods.count(name) != 0;
  return false;
}

Result<Value> call_method(const Value& object, const std::string& name, const CallArguments& arguments) {
  if (object.is_string()) return call_string_method(object.as_string(), name, arguments);
  if (object.is_dict()) return call_dict_method(object.as_dict(), name, arguments);
  return Error{"'" + object.type_name() + "' object has no method '" + name + "'"};
}

ValueDict make_global_functions() {
  ValueDict globals;
  globals.set("range", Value::callable("range", range_function));
  globals.set("namespace", Value::callable("namespace", [](const CallArguments& arguments) -> Result<Value> {
    ValueDict attributes;
    for (const Value& positional : arguments.positional) {  // namespace({'a': 1}) copies a dict
      if (!positional.is_dict()) return Error{"namespace(): positional argument must be a dict"};
      for (const auto& [key, value] : positional.as_dict().entries) attributes.set(key, value);
    }
    for (const auto& [key, value] : arguments.keyword) attributes.set(key, value);
    return Value::make_namespace(std::move(attributes));
  }));
  globals.set("raise_exception", Value::callable("raise_exception", [](const CallArguments& arguments) -> Result<Value> {
    std::string message = arguments.positional.empty() ? "" : arguments.positional[0].to_str();
    return Error{kRaisedErrorPrefix + message};
  }));
  globals.set("strftime_now", Value::callable("strftime_now", [](const CallArguments& arguments) -> Result<Value> {
    if (arguments.positional.empty() || !arguments.positional[0].is_string()) return Error{"strftime_now(): expects a format string"};
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buffer[256];
    size_t length = std::strftime(buffer, sizeof buffer, arguments.positional[0].as_string().c_str(), &local);
    return Value(std::string(buffer, length));
  }));
  return globals;
}

}  // namespace keel::jinja
