// Python's arithmetic on template values: + - * / // % ** on numbers and
// booleans, + on strings and lists, * between a sequence and a count. Integers
// are int64_t and report overflow (checked_int64.h); sequences repeated by `*`
// are sized before they are built.
#include "chat_template/jinja_arithmetic.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chat_template/checked_int64.h"

namespace keel::jinja {

namespace {

Result<Value> repeat(const Value& sequence, int64_t times) {
  // Python: a count of zero or less, or an empty sequence, gives an empty one.
  const size_t length = sequence.is_string() ? sequence.as_string().size() : sequence.as_list().items.size();
  if (times <= 0 || length == 0) return sequence.is_string() ? Value("") : Value::list({});
  // Checked before building, by division so that the product cannot wrap.
  const size_t unit = sequence.is_string() ? length : sequence.footprint();
  if (static_cast<uint64_t>(times) > kMaxValueFootprint / unit) {
    return Error{"sequence repetition too large"};
  }
  if (sequence.is_string()) {
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += sequence.as_string();
    return Value(std::move(out));
  }
  std::vector<Value> items;
  const std::vector<Value>& unit_items = sequence.as_list().items;
  for (int64_t i = 0; i < times; ++i) items.insert(items.end(), unit_items.begin(), unit_items.end());
  return Value::list(std::move(items));
}

}  // namespace

Result<Value> arithmetic(const std::string& op, const Value& left, const Value& right) {
  if (op == "+" && left.is_string() && right.is_string()) return Value(left.as_string() + right.as_string());
  if (op == "+" && left.is_list() && right.is_list()) {
    std::vector<Value> items = left.as_list().items;
    items.insert(items.end(), right.as_list().items.begin(), right.as_list().items.end());
    return Value::list(std::move(items));
  }
  if (op == "*" && (left.is_string() || left.is_list()) && right.is_int()) return repeat(left, right.as_int());
  bool numeric = (left.is_number() || left.is_bool()) && (right.is_number() || right.is_bool());
  if (!numeric) {
    return Error{"unsupported operand type(s) for " + op + ": '" + left.type_name() + "' and '" +
                 right.type_name() + "'"};
  }
  bool integers = !left.is_float() && !right.is_float();
  double a = left.as_double();
  double b = right.as_double();
  if ((op == "/" || op == "//" || op == "%") && b == 0) return Error{"division by zero"};
  if (integers && op != "/" && op != "**") {
    int64_t x = left.is_bool() ? int64_t{left.as_bool()} : left.as_int();
    int64_t y = right.is_bool() ? int64_t{right.as_bool()} : right.as_int();
    std::optional<int64_t> result;
    if (op == "+") result = checked_add(x, y);
    if (op == "-") result = checked_subtract(x, y);
    if (op == "*") result = checked_multiply(x, y);
    if (op == "//") result = floor_divide(x, y);
    if (op == "%") result = floor_modulo(x, y);
    if (!result) return Error{"integer overflow in " + op};
    return Value(*result);
  }
  if (op == "+") return Value(a + b);
  if (op == "-") return Value(a - b);
  if (op == "*") return Value(a * b);
  if (op == "/") return Value(a / b);
  if (op == "//") return Value(std::floor(a / b));
  if (op == "%") return Value(a - std::floor(a / b) * b);
  double power = std::pow(a, b);
  if (integers && b >= 0 && std::fabs(power) < 9.2e18) return Value(static_cast<int64_t>(power));
  return Value(power);
}

}  // namespace keel::jinja
