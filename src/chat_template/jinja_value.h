// The runtime value of the Jinja interpreter: Python-like dynamic data
// (None, bool, int, float, str, list, tuple, dict) plus Jinja's Undefined,
// namespace objects and callables. Containers are shared and immutable once
// built (the HF environment is an ImmutableSandboxedEnvironment), so copying
// a Value is cheap; only a namespace's attributes can change.
#pragma once

#include <cstddef>
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

// Limits on any one value a template builds. Lists and dicts share their
// items, so a few statements can make a list that holds itself twice, then
// four times, ...: small in memory, but exponentially large once printed,
// compared or serialised. A value's footprint counts every shared part where
// it appears, so it bounds the work of every walk over the value; the depth
// bounds the recursion of those walks and of its destruction. The footprint
// limit is well below the output limit because per-character work (iterating
// a string, splitting it) needs tens of bytes per byte of text.
inline constexpr size_t kMaxValueFootprint = size_t{8} << 20;
inline constexpr int kMaxValueDepth = 256;

// What a walk over a container would meet, computed once when the container
// is built (its items are immutable, so it never changes).
struct ContainerShape {
  size_t footprint = 0;          // bytes, shared parts counted each time (saturates)
  int depth = 1;                 // 1 for a container of scalars
  bool holds_namespace = false;  // a namespace object sits somewhere inside
};

// Dict entries keep insertion order (Python dicts do; tojson must too).
// Lookup is linear: template data has few keys per object.
struct ValueDict {
  std::vector<std::pair<std::string, Value>> entries;
  // Filled in by Value::dict. A namespace's attributes, which can change,
  // have none: namespaces are opaque (they print as <Namespace>, compare by
  // identity and are never walked).
  ContainerShape shape;
  const Value* find(std::string_view key) const;
  void set(const std::string& key, Value value);
};

struct ValueList {
  std::vector<Value> items;
  bool is_tuple = false;  // prints as (a, b) instead of [a, b]
  ContainerShape shape;   // filled in by Value::list
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

  // Bytes this value stands for when every shared part is counted where it
  // appears: what printing, comparing or copying it all may cost.
  size_t footprint() const;
  // Bytes of this value itself, items counted as one Value each: what
  // building it, or searching or indexing it once, costs.
  size_t own_footprint() const;
  // Container nesting: 0 for a scalar, 1 for a list of scalars, ...
  int depth() const;
  // True when a namespace object is this value or sits inside it.
  bool holds_namespace() const;

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
