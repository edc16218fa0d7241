#include "chat_template/jinja_value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace keel::jinja {

const Value* ValueDict::find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

void ValueDict::set(const std::string& key, Value value) {
  for (auto& [k, v] : entries) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  entries.emplace_back(key, std::move(value));
}

namespace {

size_t saturating_add(size_t a, size_t b) { return b > SIZE_MAX - a ? SIZE_MAX : a + b; }

// Folds one member (item, or dict key plus value) into a container's shape.
void add_member(ContainerShape& shape, const Value& member, size_t key_bytes) {
  shape.footprint = saturating_add(shape.footprint, saturating_add(member.footprint(), key_bytes));
  shape.depth = std::max(shape.depth, member.depth() + 1);
  shape.holds_namespace = shape.holds_namespace || member.holds_namespace();
}

}  // namespace

Value Value::list(std::vector<Value> items, bool is_tuple) {
  auto list = std::make_shared<ValueList>();
  list->items = std::move(items);
  list->is_tuple = is_tuple;
  list->shape.footprint = sizeof(Value);
  for (const Value& item : list->items) add_member(list->shape, item, 0);
  return Value(Data(std::shared_ptr<const ValueList>(std::move(list))));
}

Value Value::dict(ValueDict dict) {
  dict.shape = ContainerShape{};
  dict.shape.footprint = sizeof(Value);
  for (const auto& [key, element] : dict.entries) add_member(dict.shape, element, sizeof(std::string) + key.size());
  return Value(Data(std::shared_ptr<const ValueDict>(std::make_shared<ValueDict>(std::move(dict)))));
}

Value Value::make_namespace(ValueDict attributes) {
  return Value(Data(std::make_shared<Namespace>(Namespace{std::move(attributes)})));
}

Value Value::callable(std::string name, NativeFunction function) {
  return Value(Data(std::shared_ptr<const Callable>(
      std::make_shared<Callable>(Callable{std::move(name), std::move(function)}))));
}

Value Value::from_json(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null: return none();
    case nlohmann::ordered_json::value_t::boolean: return Value(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned:
      return Value(static_cast<int64_t>(json.get<uint64_t>()));
    case nlohmann::ordered_json::value_t::number_float: return Value(json.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& element : json) items.push_back(from_json(element));
      return list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      ValueDict dict_value;
      dict_value.entries.reserve(json.size());
      for (const auto& [key, element] : json.items()) dict_value.entries.emplace_back(key, from_json(element));
      return dict(std::move(dict_value));
    }
    default: return none();  // binary / discarded: not representable in a template
  }
}

double Value::as_double() const {
  if (is_int()) return static_cast<double>(as_int());
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  return std::get<double>(data_);
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool: return as_bool();
    case Kind::kInt: return as_int() != 0;
    case Kind::kFloat: return std::get<double>(data_) != 0.0;
    case Kind::kString: return !as_string().empty();
    case Kind::kList: return !as_list().items.empty();
    case Kind::kDict: return !as_dict().entries.empty();
    case Kind::kNamespace:
    case Kind::kCallable: return true;
  }
  return false;
}

std::string format_python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  // Shortest digits that round-trip, like Python's repr; then Python's layout:
  // plain notation for 1e-4 <= |x| < 1e16, else d.ddde+XX.
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  (void)ec;
  std::string scientific(buffer, end);
  size_t e_pos = scientific.find('e');
  std::string mantissa = scientific.substr(0, e_pos);
  int exponent = std::stoi(scientific.substr(e_pos + 1));
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string result;
  if (exponent >= -5 && exponent < 16) {
    if (exponent < 0) {
      result = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    } else if (static_cast<int>(digits.size()) <= exponent + 1) {
      result = digits + std::string(static_cast<size_t>(exponent + 1) - digits.size(), '0') + ".0";
    } else {
      result = digits.substr(0, static_cast<size_t>(exponent + 1)) + "." +
               digits.substr(static_cast<size_t>(exponent + 1));
    }
  } else {
    result = digits.substr(0, 1);
    if (digits.size() > 1) result += "." + digits.substr(1);
    char exponent_text[16];
    std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    result += exponent_text;
  }
  return negative ? "-" + result : result;
}

namespace {

// Python's repr of a str: single quotes unless the text has ' and no ".
std::string python_string_repr(const std::string& text) {
  bool has_single = text.find('\'') != std::string::npos;
  bool has_double = text.find('"') != std::string::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string Value::to_str() const {
  switch (kind()) {
    case Kind::kUndefined: return "";
    case Kind::kNone: return "None";
    case Kind::kBool: return as_bool() ? "True" : "False";
    case Kind::kInt: return std::to_string(as_int());
    case Kind::kFloat: return format_python_float(std::get<double>(data_));
    case Kind::kString: return as_string();
    case Kind::kList:
    case Kind::kDict: return repr();
    case Kind::kNamespace: return "<Namespace>";
    case Kind::kCallable: return "<function " + as_callable().name + ">";
  }
  return "";
}

std::string Value::repr() const {
  switch (kind()) {
    case Kind::kString: return python_string_repr(as_string());
    case Kind::kUndefined: return "Undefined";
    case Kind::kList: {
      const ValueList& list_value = as_list();
      std::string out = list_value.is_tuple ? "(" : "[";
      for (size_t i = 0; i < list_value.items.size(); ++i) {
        if (i > 0) out += ", ";
        out += list_value.items[i].repr();
      }
      if (list_value.is_tuple && list_value.items.size() == 1) out += ",";
      out += list_value.is_tuple ? ")" : "]";
      return out;
    }
    case Kind::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, element] : as_dict().entries) {
        if (!first) out += ", ";
        first = false;
        out += python_string_repr(key) + ": " + element.repr();
      }
      return out + "}";
    }
    default: return to_str();
  }
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return as_list().is_tuple ? "tuple" : "list";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
  }
  return "object";
}

size_t Value::footprint() const {
  if (is_list()) return as_list().shape.footprint;
  if (is_dict()) return as_dict().shape.footprint;
  return own_footprint();
}

size_t Value::own_footprint() const {
  if (is_string()) return sizeof(Value) + as_string().size();
  if (is_list()) return sizeof(Value) * (1 + as_list().items.size());
  if (is_dict()) {
    size_t bytes = sizeof(Value);
    for (const auto& [key, element] : as_dict().entries) bytes += sizeof(Value) + sizeof(std::string) + key.size();
    return bytes;
  }
  return sizeof(Value);  // scalars; namespaces and callables are opaque handles
}

int Value::depth() const {
  if (is_list()) return as_list().shape.depth;
  if (is_dict()) return as_dict().shape.depth;
  return 0;
}

bool Value::holds_namespace() const {
  if (is_namespace()) return true;
  if (is_list()) return as_list().shape.holds_namespace;
  if (is_dict()) return as_dict().shape.holds_namespace;
  return false;
}

bool values_equal(const Value& a, const Value& b) {
  bool a_numeric = a.is_number() || a.is_bool();
  bool b_numeric = b.is_number() || b.is_bool();
  if (a_numeric && b_numeric) {
    if (a.is_float() || b.is_float()) return a.as_double() == b.as_double();
    auto as_integer = [](const Value& v) { return v.is_bool() ? int64_t{v.as_bool()} : v.as_int(); };
    return as_integer(a) == as_integer(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.as_string() == b.as_string();
    case Value::Kind::kList: {
      const auto& x = a.as_list().items;
      const auto& y = b.as_list().items;
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!values_equal(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      const auto& x = a.as_dict();
      const auto& y = b.as_dict();
      if (x.entries.size() != y.entries.size()) return false;
      for (const auto& [key, element] : x.entries) {
        const Value* other = y.find(key);
        if (other == nullptr || !values_equal(element, *other)) return false;
      }
      return true;
    }
    case Value::Kind::kNamespace: return &a.as_namespace() == &b.as_namespace();
    case Value::Kind::kCallable: return &a.as_callable() == &b.as_callable();
    default: return false;
  }
}

Result<bool> value_less(const Value& a, const Value& b) {
  bool a_numeric = a.is_number() || a.is_bool();
  bool b_numeric = b.is_number() || b.is_bool();
  if (a_numeric && b_numeric) return a.as_double() < b.as_double();
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_list() && b.is_list()) {
    const auto& x = a.as_list().items;
    const auto& y = b.as_list().items;
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (values_equal(x[i], y[i])) continue;
      return value_less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  return Error{"'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'"};
}

}  // namespace keel::jinja
