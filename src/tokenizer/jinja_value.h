// The runtime value of the Jinja interpreter: Python-like dynamic data
// (None, bool, int, float, str, list, tuple, dict) plus Jinja's Undefined,
// namespace objects and callables. Containers are shared and immutable once
// built (the HF environment is an ImmutableSandboxedEnvironment), so copying
// a Value is cheap; only a namespace's attributes can change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace keel::jinja {

class Value;

// Dict entries keep insertion order (Python dicts do; tojson must too).
// Lookup is linear: template data has few keys per object.
struct ValueDict {
  std::vector<std::pair<std::string, Value>> entries;
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value value);
};

struct ValueList {
  std::vector<Value> items;
  bool is_tuple = false;  // prints as (a, b) instead of [a, b]
};

// Arguments of a call: positional values and keyword=value pairs.
struct CallArguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFunction = std::function<Result<Value>(const CallArguments&)>;

struct Callable {
  std::string name;
  NativeFunction function;
};

// Jinja's default Undefined: renders as '' and is falsy; most other uses fail.
struct Undefined {
  std::string name;  // what was looked up, for error messages
};

struct Namespace {
  ValueDict attributes;
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() : data_(Undefined{}) {}
  static Value undefined(std::string name) { return Value(Undefined{std::move(name)}); }
  static Value none() { return Value(Data(nullptr)); }
  Value(bool b) : data_(b) {}                                 // NOLINT: implicit by design
  Value(int64_t i) : data_(i) {}                              // NOLINT
  Value(int i) : data_(static_cast<int64_t>(i)) {}            // NOLINT
  Value(double d) : data_(d) {}                               // NOLINT
  Value(std::string s) : data_(std::move(s)) {}               // NOLINT
  Value(const char* s) : data_(std::string(s)) {}             // NOLINT
  static Value list(std::vector<Value> items, bool is_tuple = false);
  static Value dict(ValueDict dict);
  static Value make_namespace(ValueDict attributes);
  static Value callable(std::string name, NativeFunction function);
  static Value from_json(const nlohmann::ordered_json& json);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float(); }  // bools excluded
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_callable() const { return kind() == Kind::kCallable; }

  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_double() const;  // int or float (or bool) as a double
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const ValueList& as_list() const { return *std::get<std::shared_ptr<const ValueList>>(data_); }
  const ValueDict& as_dict() const { return *std::get<std::shared_ptr<const ValueDict>>(data_); }
  Namespace& as_namespace() const { return *std::get<std::shared_ptr<Namespace>>(data_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(data_); }
  const std::string& undefined_name() const { return std::get<Undefined>(data_).name; }

  // Python truthiness: '', 0, [], {}, None and Undefined are false.
  bool truthy() const;
  // Python str(): what {{ value }} prints. Undefined prints ''.
  std::string to_str() const;
  // Python repr(): how values print inside containers.
  std::string repr() const;
  // Python's type name, for error messages.
  std::string type_name() const;

 private:
  using Data = std::variant<Undefined, std::nullptr_t, bool, int64_t, double, std::string,
                            std::shared_ptr<const ValueList>, std::shared_ptr<const ValueDict>,
                            std::shared_ptr<Namespace>, std::shared_ptr<const Callable>>;
  explicit Value(Data data) : data_(std::move(data)) {}
  Data data_;
};

// Python ==: 1 == 1.0 == True; containers compare element-wise.
bool values_equal(const Value& a, const Value& b);
// Python <: numbers with numbers, strings with strings, lists element-wise.
Result<bool> value_less(const Value& a, const Value& b);
// Python's float repr (shortest round-trip, always with '.0' or exponent).
std::string format_python_float(double value);

// Options of json.dumps as transformers' tojson passes them.
struct JsonOptions {
  int indent = -1;  // < 0: single line with ", " and ": "
  bool ensure_ascii = false;
};
Result<std::string> to_json(const Value& value, const JsonOptions& options);

}  // namespace keel::jinja
