// Filters and tests. Each takes the value on the left plus call arguments.
#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "chat_template/checked_int64.h"
#include "chat_template/jinja_builtins.h"

namespace keel::jinja {
namespace {

// Argument `index` by position, else by keyword `name`, else `fallback`.
Value argument(const CallArguments& arguments, size_t index, const char* name, Value fallback = Value()) {
  if (index < arguments.positional.size()) return arguments.positional[index];
  for (const auto& [key, value] : arguments.keyword) {
    if (key == name) return value;
  }
  return fallback;
}

Error filter_error(const std::string& filter, const std::string& message) {
  return Error{"filter '" + filter + "': " + message};
}

Error too_large(const std::string& filter) {
  return filter_error(filter, "result larger than " + std::to_string(kMaxValueFootprint) + " bytes");
}

// Items a filter iterates: list items, dict keys, string code points.
Result<std::vector<Value>> iterate(const Value& value, const std::string& who) {
  std::vector<Value> items;
  if (value.is_list()) return value.as_list().items;
  if (value.is_dict()) {
    for (const auto& entry : value.as_dict().entries) items.emplace_back(entry.first);
    return items;
  }
  if (value.is_string()) {
    for (auto& code_point : split_code_points(value.as_string())) items.emplace_back(std::move(code_point));
    return items;
  }
  if (value.is_undefined()) return items;
  return Error{who + ": '" + value.type_name() + "' object is not iterable"};
}

Value attribute_of(const Value& object, const std::string& path) {
  Value current = object;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!current.is_dict()) return Value::undefined(part);
    const Value* found = current.as_dict().find(part);
    if (found == nullptr) return Value::undefined(part);
    current = *found;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return current;
}

std::string python_strip(const std::string& text, bool left, bool right) {
  auto is_white = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  size_t begin = 0;
  size_t end = text.size();
  if (left) while (begin < end && is_white(text[begin])) ++begin;
  if (right) while (end > begin && is_white(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// select/reject/selectattr/rejectattr share this: keep items where the test
// (or plain truthiness when no test is named) equals `keep`.
Result<Value> filter_by_test(const std::string& filter, const Value& value, const CallArguments& arguments,
                             bool by_attribute, bool keep) {
  KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, filter));
  size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    Value name = argument(arguments, next++, "attribute");
    if (!name.is_string()) return filter_error(filter, "expects an attribute name");
    attribute = name.as_string();
  }
  std::string test_name;
  if (next < arguments.positional.size()) test_name = arguments.positional[next++].to_str();
  CallArguments test_arguments;
  for (size_t i = next; i < arguments.positional.size(); ++i) test_arguments.positional.push_back(arguments.positional[i]);
  std::vector<Value> kept;
  for (const Value& item : items) {
    Value subject = by_attribute ? attribute_of(item, attribute) : item;
    bool passed = subject.truthy();
    if (!test_name.empty()) {
      KEEL_ASSIGN_OR_RETURN(passed, apply_test(test_name, subject, test_arguments));
    }
    if (passed == keep) kept.push_back(item);
  }
  return Value::list(std::move(kept));
}

Result<Value> sort_values(std::vector<Value> items, bool reverse) {
  std::string failure;
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    auto less = reverse ? value_less(b, a) : value_less(a, b);
    if (!less.ok()) {
      failure = less.error().message;
      return false;
    }
    return *less;
  });
  if (!failure.empty()) return Error{"sort: " + failure};
  return Value::list(std::move(items));
}

Result<Value> to_json_filter(const Value& value, const CallArguments& arguments) {
  JsonOptions options;
  Value indent = argument(arguments, 1, "indent", Value::none());
  if (indent.is_int()) options.indent = static_cast<int>(std::clamp<int64_t>(indent.as_int(), 0, 64));
  options.ensure_ascii = argument(arguments, 0, "ensure_ascii", Value(false)).truthy();
  for (const auto& [key, unused] : arguments.keyword) {
    if (key != "indent" && key != "ensure_ascii") return filter_error("tojson", "unsupported argument '" + key + "'");
  }
  KEEL_ASSIGN_OR_RETURN(auto text, to_json(value, options));
  return Value(std::move(text));
}

// int() of a float truncates toward zero. NaN gives the default, as Jinja's
// int filter does; a float outside int64_t (infinity included) is an Error,
// where Python would raise OverflowError or grow its integer.
Result<Value> float_to_int(double real, const Value& fallback) {
  if (std::isnan(real)) return fallback;
  std::optional<int64_t> whole = truncate_to_int64(real);
  if (!whole) return filter_error("int", format_python_float(real) + " does not fit in a 64-bit integer");
  return Value(*whole);
}

Result<Value> int_filter(const Value& value, const CallArguments& arguments) {
  Value fallback = argument(arguments, 0, "default", Value(0));
  if (value.is_int()) return value;
  if (value.is_bool()) return Value(int64_t{value.as_bool()});
  if (value.is_float()) return float_to_int(value.as_double(), fallback);
  if (value.is_string()) {
    try {
      size_t used = 0;
      std::string text = python_strip(value.as_string(), true, true);
      int64_t number = std::stoll(text, &used);
      if (used == text.size()) return Value(number);
      double real = std::stod(text, &used);
      if (used == text.size()) return float_to_int(real, fallback);
    } catch (...) {  // std::stoll/stod report bad input by throwing
    }
  }
  return fallback;
}

Result<Value> float_filter(const Value& value, const CallArguments& arguments) {
  Value fallback = argument(arguments, 0, "default", Value(0.0));
  if (value.is_number() || value.is_bool()) return Value(value.as_double());
  if (value.is_string()) {
    try {
      size_t used = 0;
      std::string text = python_strip(value.as_string(), true, true);
      double number = std::stod(text, &used);
      if (used == text.size()) return Value(number);
    } catch (...) {  // std::stod reports bad input by throwing
    }
  }
  return fallback;
}

// str.replace. The matches are counted first: a short text with many
// matches and a long replacement must not build a string past the limit.
Result<std::string> replace_all(const std::string& text, const std::string& old_text, const std::string& new_text,
                                int64_t count) {
  if (old_text.empty()) return text;
  uint64_t matches = 0;
  const uint64_t most = count < 0 ? UINT64_MAX : static_cast<uint64_t>(count);
  for (size_t found = text.find(old_text); found != std::string::npos && matches < most;
       found = text.find(old_text, found + old_text.size())) {
    ++matches;
  }
  if (new_text.size() > old_text.size() && matches > 0) {
    const uint64_t growth = new_text.size() - old_text.size();
    if (growth > kMaxValueFootprint / matches || text.size() + growth * matches > kMaxValueFootprint) {
      return too_large("replace");
    }
  }
  std::string out;
  size_t start = 0;
  for (int64_t done = 0; count < 0 || done < count; ++done) {
    size_t found = text.find(old_text, start);
    if (found == std::string::npos) break;
    out.append(text, start, found - start);
    out += new_text;
    start = found + old_text.size();
  }
  out.append(text, start, std::string::npos);
  return out;
}

Result<std::string> indent_filter(const std::string& text, int64_t width, bool first) {
  std::string pad(static_cast<size_t>(std::clamp<int64_t>(width, 0, 256)), ' ');
  std::string out = first ? pad : "";
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    // Jinja indents every following line except blank ones.
    if (text[i] == '\n' && i + 1 < text.size() && text[i + 1] != '\n') {
      out += pad;
      if (out.size() > kMaxValueFootprint) return too_large("indent");
    }
  }
  return out;
}

// The identity of a hashable value as Python's set sees it: equal values
// (1 == 1.0 == True) get equal keys. Lists and dicts are unhashable.
std::optional<std::string> hash_key(const Value& value) {
  if (value.is_bool()) return "i" + std::to_string(int{value.as_bool()});
  if (value.is_int()) return "i" + std::to_string(value.as_int());
  if (value.is_float()) {
    std::optional<int64_t> whole = truncate_to_int64(value.as_double());
    if (whole && static_cast<double>(*whole) == value.as_double()) return "i" + std::to_string(*whole);
    return "f" + format_python_float(value.as_double());
  }
  if (value.is_string()) return "s" + value.as_string();
  if (value.is_none()) return std::string("n");
  if (value.is_undefined()) return std::string("u");
  return std::nullopt;
}

// Jinja's unique keeps the first of equal items, finding them with a set
// (linear time; comparing each item with every kept one would be quadratic).
Result<Value> unique_filter(const Value& value) {
  KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, "unique"));
  std::unordered_set<std::string> seen;
  std::vector<Value> unique;
  for (const Value& item : items) {
    std::optional<std::string> key = hash_key(item);
    if (!key) return filter_error("unique", "unhashable type: '" + item.type_name() + "'");
    if (seen.insert(std::move(*key)).second) unique.push_back(item);
  }
  return Value::list(std::move(unique));
}

}  // namespace

Result<Value> apply_filter(const std::string& name, const Value& value, const CallArguments& arguments) {
  if (name == "safe") return value;  // no autoescaping, so safe is a no-op
  if (name == "tojson") return to_json_filter(value, arguments);
  if (name == "string") return Value(value.to_str());
  if (name == "trim") {
    if (arguments.positional.empty()) return Value(python_strip(value.to_str(), true, true));
    return call_method(Value(value.to_str()), "strip", arguments);
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    return call_method(Value(value.to_str()), name, CallArguments{});
  }
  if (name == "length" || name == "count") {
    if (value.is_string()) return Value(static_cast<int64_t>(count_code_points(value.as_string())));
    if (value.is_list()) return Value(static_cast<int64_t>(value.as_list().items.size()));
    if (value.is_dict()) return Value(static_cast<int64_t>(value.as_dict().entries.size()));
    if (value.is_undefined()) return Value(0);
    return filter_error(name, "object of type '" + value.type_name() + "' has no len()");
  }
  if (name == "items") {
    if (value.is_undefined()) return Value::list({});
    if (!value.is_dict()) return filter_error(name, "can only be used on a mapping");
    return call_method(value, "items", CallArguments{});
  }
  if (name == "list") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    return Value::list(std::move(items));
  }
  if (name == "join") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    std::string separator = argument(arguments, 0, "d", Value("")).to_str();
    Value attribute = argument(arguments, 1, "attribute", Value::none());
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += separator;
      out += attribute.is_string() ? attribute_of(items[i], attribute.as_string()).to_str() : items[i].to_str();
      if (out.size() > kMaxValueFootprint) return too_large(name);
    }
    return Value(std::move(out));
  }
  if (name == "select") return filter_by_test(name, value, arguments, false, true);
  if (name == "reject") return filter_by_test(name, value, arguments, false, false);
  if (name == "selectattr") return filter_by_test(name, value, arguments, true, true);
  if (name == "rejectattr") return filter_by_test(name, value, arguments, true, false);
  if (name == "map") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    Value attribute = argument(arguments, 99, "attribute", Value::none());
    std::vector<Value> mapped;
    for (const Value& item : items) {
      if (attribute.is_string()) {
        Value found = attribute_of(item, attribute.as_string());
        mapped.push_back(found.is_undefined() ? argument(arguments, 99, "default", found) : found);
      } else if (!arguments.positional.empty()) {
        CallArguments rest{{arguments.positional.begin() + 1, arguments.positional.end()}, arguments.keyword};
        KEEL_ASSIGN_OR_RETURN(auto result, apply_filter(arguments.positional[0].to_str(), item, rest));
        mapped.push_back(std::move(result));
      } else {
        return filter_error(name, "needs a filter name or attribute=");
      }
    }
    return Value::list(std::move(mapped));
  }
  if (name == "first" || name == "last") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    if (items.empty()) return Value::undefined("no first item");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "reverse") {
    if (value.is_string()) {
      auto points = split_code_points(value.as_string());
      std::string out;
      for (auto it = points.rbegin(); it != points.rend(); ++it) out += *it;
      return Value(std::move(out));
    }
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  }
  if (name == "sort") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    Value attribute = argument(arguments, 2, "attribute", Value::none());
    if (!attribute.is_none()) return filter_error(name, "attribute= is not supported");
    return sort_values(std::move(items), argument(arguments, 0, "reverse", Value(false)).truthy());
  }
  if (name == "dictsort") {
    if (!value.is_dict()) return filter_error(name, "can only be used on a mapping");
    std::vector<Value> pairs;
    for (const auto& [key, element] : value.as_dict().entries) pairs.push_back(Value::list({Value(key), element}, true));
    return sort_values(std::move(pairs), argument(arguments, 2, "reverse", Value(false)).truthy());
  }
  if (name == "unique") return unique_filter(value);
  if (name == "min" || name == "max" || name == "sum") {
    KEEL_ASSIGN_OR_RETURN(auto items, iterate(value, name));
    if (name == "sum") {
      for (const Value& item : items) {
        if (!item.is_number() && !item.is_bool()) return filter_error(name, "unsupported item type " + item.type_name());
      }
      if (std::any_of(items.begin(), items.end(), [](const Value& v) { return v.is_float(); })) {
        double real = 0;
        for (const Value& item : items) real += item.as_double();
        return Value(real);
      }
      int64_t whole = 0;
      for (const Value& item : items) {
        std::optional<int64_t> total = checked_add(whole, item.is_bool() ? int64_t{item.as_bool()} : item.as_int());
        if (!total) return filter_error(name, "integer overflow");
        whole = *total;
      }
      return Value(whole);
    }
    if (items.empty()) return Value::undefined("empty sequence");
    KEEL_ASSIGN_OR_RETURN(auto sorted, sort_values(std::move(items), false));
    return name == "min" ? sorted.as_list().items.front() : sorted.as_list().items.back();
  }
  if (name == "default" || name == "d") {
    bool use_default = argument(arguments, 1, "boolean", Value(false)).truthy() ? !value.truthy() : value.is_undefined();
    return use_default ? argument(arguments, 0, "default_value", Value("")) : value;
  }
  if (name == "int") return int_filter(value, arguments);
  if (name == "float") return float_filter(value, arguments);
  if (name == "abs") {
    if (value.is_int()) {
      std::optional<int64_t> magnitude = value.as_int() < 0 ? checked_negate(value.as_int()) : value.as_int();
      if (!magnitude) return filter_error(name, "integer overflow");
      return Value(*magnitude);
    }
    if (value.is_float()) return Value(std::fabs(value.as_double()));
    return filter_error(name, "bad operand type " + value.type_name());
  }
  if (name == "round") {
    if (!value.is_number()) return filter_error(name, "expects a number");
    int64_t precision = argument(arguments, 0, "precision", Value(0)).is_int() ? argument(arguments, 0, "precision", Value(0)).as_int() : 0;
    double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(precision, 0, 15)));
    return Value(std::round(value.as_double() * scale) / scale);
  }
  if (name == "replace") {
    int64_t count = argument(arguments, 2, "count", Value(-1)).is_int() ? argument(arguments, 2, "count", Value(-1)).as_int() : -1;
    KEEL_ASSIGN_OR_RETURN(std::string replaced, replace_all(value.to_str(), argument(arguments, 0, "old").to_str(),
                                                            argument(arguments, 1, "new").to_str(), count));
    return Value(std::move(replaced));
  }
  if (name == "indent") {
    Value width = argument(arguments, 0, "width", Value(4));
    KEEL_ASSIGN_OR_RETURN(std::string indented, indent_filter(value.to_str(), width.is_int() ? width.as_int() : 4,
                                                              argument(arguments, 1, "first", Value(false)).truthy()));
    return Value(std::move(indented));
  }
  return Error{"unsupported filter '" + name + "'"};
}

size_t filter_work(const std::string& name, const Value& value) {
  static const std::set<std::string> kWalking = {"join", "select", "reject", "selectattr", "rejectattr", "map",
                                                 "sort", "dictsort", "unique", "min", "max"};
  static const std::set<std::string> kIterating = {"list", "first", "last", "reverse", "sum"};
  static const std::set<std::string> kSorting = {"sort", "dictsort", "min", "max"};
  // A list or dict knows its length; a string's code points are counted.
  if ((name == "length" || name == "count") && !value.is_string()) return sizeof(Value);
  const size_t items = value.is_string() ? value.as_string().size()  // at most one code point per byte
                       : value.is_list() ? value.as_list().items.size()
                       : value.is_dict() ? value.as_dict().entries.size()
                                         : 0;
  size_t work = value.own_footprint();
  if (kWalking.count(name) != 0 || kIterating.count(name) != 0) work += items * sizeof(Value);
  if (kWalking.count(name) != 0) {
    const size_t passes = kSorting.count(name) != 0 ? std::max<size_t>(1, std::bit_width(items)) : 1;
    work += value.footprint() > SIZE_MAX / passes ? SIZE_MAX : value.footprint() * passes;
  }
  return work;
}

Result<bool> apply_test(const std::string& name, const Value& value, const CallArguments& arguments) {
  auto operand = [&]() -> Result<Value> {
    if (arguments.positional.empty()) return Error{"test '" + name + "' needs an argument"};
    return arguments.positional[0];
  };
  if (name == "defined") return !value.is_undefined();
  if (name == "undefined") return value.is_undefined();
  if (name == "none") return value.is_none();
  if (name == "string") return value.is_string();
  if (name == "mapping") return value.is_dict();
  if (name == "iterable") return value.is_list() || value.is_dict() || value.is_string() || value.is_undefined();
  if (name == "sequence") return value.is_list() || value.is_dict() || value.is_string() || value.is_undefined();
  if (name == "number") return value.is_number() || value.is_bool();
  if (name == "integer") return value.is_int();
  if (name == "float") return value.is_float();
  if (name == "boolean") return value.is_bool();
  if (name == "true") return value.is_bool() && value.as_bool();
  if (name == "false") return value.is_bool() && !value.as_bool();
  if (name == "callable") return value.is_callable() || value.is_undefined();
  if (name == "lower" || name == "upper") {
    if (!value.is_string()) return false;
    std::string text = value.as_string();
    bool has_cased = false;
    for (char c : text) {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        has_cased = true;
        if (name == "lower" ? std::isupper(static_cast<unsigned char>(c)) : std::islower(static_cast<unsigned char>(c))) return false;
      }
    }
    return has_cased;
  }
  if (name == "odd" || name == "even" || name == "divisibleby") {
    if (!value.is_int()) return Error{"test '" + name + "' expects an integer, got " + value.type_name()};
    if (name == "odd") return value.as_int() % 2 != 0;
    if (name == "even") return value.as_int() % 2 == 0;
    KEEL_ASSIGN_OR_RETURN(auto divisor, operand());
    if (!divisor.is_int() || divisor.as_int() == 0) return Error{"test 'divisibleby' needs a non-zero integer"};
    return floor_modulo(value.as_int(), divisor.as_int()) == 0;  // INT64_MIN % -1 must not trap
  }
  if (name == "equalto" || name == "eq" || name == "==" || name == "sameas") {
    KEEL_ASSIGN_OR_RETURN(auto other, operand());
    return values_equal(value, other);
  }
  if (name == "ne" || name == "!=") {
    KEEL_ASSIGN_OR_RETURN(auto other, operand());
    return !values_equal(value, other);
  }
  static const std::map<std::string, int> kOrderTests = {{"lt", 0}, {"<", 0}, {"lessthan", 0}, {"le", 1}, {"<=", 1},
                                                         {"gt", 2}, {">", 2}, {"greaterthan", 2}, {"ge", 3}, {">=", 3}};
  if (auto order = kOrderTests.find(name); order != kOrderTests.end()) {
    KEEL_ASSIGN_OR_RETURN(auto other, operand());
    switch (order->second) {
      case 0: return value_less(value, other);
      case 1: { KEEL_ASSIGN_OR_RETURN(bool greater, value_less(other, value)); return !greater; }
      case 2: return value_less(other, value);
      default: { KEEL_ASSIGN_OR_RETURN(bool less, value_less(value, other)); return !less; }
    }
  }
  if (name == "in") {
    KEEL_ASSIGN_OR_RETURN(auto container, operand());
    if (container.is_string()) return value.is_string() && container.as_string().find(value.as_string()) != std::string::npos;
    if (container.is_dict()) return value.is_string() && container.as_dict().find(value.as_string()) != nullptr;
    if (container.is_list()) {
      const auto& items = container.as_list().items;
      return std::any_of(items.begin(), items.end(), [&](const Value& item) { return values_equal(item, value); });
    }
    return Error{"test 'in': argument of type '" + container.type_name() + "' is not iterable"};
  }
  return Error{"unsupported test '" + name + "'"};
}

}  // namespace keel::jinja
