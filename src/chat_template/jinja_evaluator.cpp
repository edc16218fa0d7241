#include "chat_template/jinja_evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "chat_template/checked_int64.h"
#include "chat_template/jinja_arithmetic.h"
#include "chat_template/jinja_builtins.h"
#include "chat_template/jinja_depth_guard.h"

namespace keel::jinja {
namespace {

// A variable scope. Jinja gives each for-loop iteration and each macro call
// its own scope: {% set %} inside them does not leak out (hence namespace()).
struct Scope {
  std::map<std::string, Value, std::less<>> variables;
  std::shared_ptr<Scope> parent;

  const Value* lookup(const std::string& name) const {
    for (const Scope* scope = this; scope != nullptr; scope = scope->parent.get()) {
      auto found = scope->variables.find(name);
      if (found != scope->variables.end()) return &found->second;
    }
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow { kNormal, kBreak, kContinue };

// The code point of `text` that starts at offsets[index] (code_point_offsets).
std::string code_point_at_offset(const std::string& text, const std::vector<size_t>& offsets, size_t index) {
  const size_t end = index + 1 < offsets.size() ? offsets[index + 1] : text.size();
  return text.substr(offsets[index], end - offsets[index]);
}

Error at_line(int line, const std::string& message) {
  if (message.rfind(kRaisedErrorPrefix, 0) == 0) return Error{message};  // raise_exception: keep as is
  return Error{message + " (template line " + std::to_string(line) + ")"};
}

class Evaluator {
 public:
  explicit Evaluator(const RenderLimits& limits) : limits_(limits) {}

  Result<std::string> render(const StatementList& program, const ValueDict& variables) {
    auto root = std::make_shared<Scope>();
    for (auto& [name, value] : make_global_functions().entries) root->variables[name] = value;
    for (const auto& [name, value] : variables.entries) root->variables[name] = value;
    std::string out;
    KEEL_ASSIGN_OR_RETURN(Flow flow, execute(program, root, out));
    (void)flow;
    return out;
  }

 private:
  Status count_step(int line) {
    if (++steps_ > limits_.max_steps) {
      return at_line(line, "template exceeded the work limit of " + std::to_string(limits_.max_steps) + " steps");
    }
    return ok_status();
  }

  // Building, searching or comparing values costs work in proportion to
  // their bytes; `bytes` of it are spent here.
  Status charge(size_t bytes, int line) {
    work_bytes_ = bytes > SIZE_MAX - work_bytes_ ? SIZE_MAX : work_bytes_ + bytes;
    if (work_bytes_ > limits_.max_work_bytes) {
      return at_line(line, "template exceeded the work limit of " + std::to_string(limits_.max_work_bytes) + " bytes");
    }
    return ok_status();
  }

  // Holds a value the template has built to the limits of jinja_value.h.
  Status check_value_limits(const Value& value, int line) {
    if (value.footprint() > kMaxValueFootprint) {
      return at_line(line, "template value larger than " + std::to_string(kMaxValueFootprint) + " bytes");
    }
    if (value.depth() > kMaxValueDepth) {
      return at_line(line, "template value nested deeper than " + std::to_string(kMaxValueDepth) + " levels");
    }
    return ok_status();
  }

  // A value an expression has just built: its construction is charged.
  Status accept_built(const Value& value, int line) {
    KEEL_TRY(charge(value.own_footprint(), line));
    return check_value_limits(value, line);
  }

  // Writes rendered text; macro calls and {% set %} / {% filter %} blocks
  // each write into their own string, so the bytes written are work too.
  Status append(std::string& out, const std::string& text, int line) {
    KEEL_TRY(charge(text.size(), line));
    if (out.size() + text.size() > limits_.max_output_bytes) {
      return at_line(line, "template output exceeds " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    out += text;
    return ok_status();
  }

  // ----- statements -----

  Status check_nesting(int line) const {
    if (nesting_ > limits_.max_nesting_depth) {
      return at_line(line, "template nested deeper than " + std::to_string(limits_.max_nesting_depth) +
                               " levels of blocks, expressions and macro calls");
    }
    return ok_status();
  }

  Result<Flow> execute(const StatementList& statements, const ScopePtr& scope, std::string& out) {
    DepthGuard guard(nesting_);
    if (!statements.empty()) KEEL_TRY(check_nesting(statements.front()->line));
    for (const auto& statement : statements) {
      KEEL_TRY(count_step(statement->line));
      KEEL_ASSIGN_OR_RETURN(Flow flow, execute_one(*statement, scope, out));
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  Result<Flow> execute_one(const Statement& statement, const ScopePtr& scope, std::string& out) {
    int line = statement.line;
    if (const auto* text = std::get_if<TextStmt>(&statement.node)) {
      KEEL_TRY(append(out, text->text, line));
    } else if (const auto* output = std::get_if<OutputStmt>(&statement.node)) {
      KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*output->expression, scope));
      KEEL_TRY(append(out, value.to_str(), line));
    } else if (const auto* if_statement = std::get_if<IfStmt>(&statement.node)) {
      for (const auto& [condition, body] : if_statement->branches) {
        KEEL_ASSIGN_OR_RETURN(Value test, evaluate(*condition, scope));
        if (test.truthy()) return execute(body, scope, out);
      }
      return execute(if_statement->else_body, scope, out);
    } else if (const auto* for_statement = std::get_if<ForStmt>(&statement.node)) {
      KEEL_TRY(execute_for(*for_statement, scope, out, line));
    } else if (const auto* set_statement = std::get_if<SetStmt>(&statement.node)) {
      KEEL_TRY(execute_set(*set_statement, scope, line));
    } else if (const auto* macro = std::get_if<MacroStmt>(&statement.node)) {
      scope->variables[macro->name] = make_macro(*macro, scope);
    } else if (std::holds_alternative<BreakStmt>(statement.node)) {
      return Flow::kBreak;
    } else if (std::holds_alternative<ContinueStmt>(statement.node)) {
      return Flow::kContinue;
    } else if (const auto* filter_block = std::get_if<FilterBlockStmt>(&statement.node)) {
      std::string body;
      KEEL_ASSIGN_OR_RETURN(Flow flow, execute(filter_block->body, scope, body));
      (void)flow;
      Value rendered(std::move(body));
      KEEL_TRY(check_value_limits(rendered, line));  // its bytes were charged as they were written
      auto filtered = apply_filter(filter_block->filter, rendered, CallArguments{});
      if (!filtered.ok()) return at_line(line, filtered.error().message);
      KEEL_TRY(append(out, filtered->to_str(), line));
    } else if (const auto* generation = std::get_if<GenerationStmt>(&statement.node)) {
      return execute(generation->body, scope, out);
    }
    return Flow::kNormal;
  }

  Result<std::vector<Value>> iterable_items(const Value& value, int line) {
    if (value.is_list()) return value.as_list().items;
    std::vector<Value> items;
    if (value.is_dict()) {
      for (const auto& entry : value.as_dict().entries) items.emplace_back(entry.first);
    } else if (value.is_string()) {
      for (auto& point : split_code_points(value.as_string())) items.emplace_back(std::move(point));
    } else if (!value.is_undefined()) {  // iterating Undefined yields nothing
      return at_line(line, "'" + value.type_name() + "' object is not iterable");
    }
    return items;
  }

  Status bind_targets(const std::vector<std::string>& targets, const Value& item, Scope& scope, int line) {
    if (targets.size() == 1) {
      scope.variables[targets[0]] = item;
      return ok_status();
    }
    if (!item.is_list() || item.as_list().items.size() != targets.size()) {
      return at_line(line, "cannot unpack " + item.type_name() + " into " + std::to_string(targets.size()) + " names");
    }
    for (size_t i = 0; i < targets.size(); ++i) scope.variables[targets[i]] = item.as_list().items[i];
    return ok_status();
  }

  Status execute_for(const ForStmt& loop, const ScopePtr& scope, std::string& out, int line) {
    KEEL_ASSIGN_OR_RETURN(Value iterable, evaluate(*loop.iterable, scope));
    // The items are copied (a string's code points made) before the first
    // iteration, just as the list filter does.
    KEEL_TRY(charge(filter_work("list", iterable), line));
    KEEL_ASSIGN_OR_RETURN(auto all_items, iterable_items(iterable, line));
    // A filtered loop first selects its items, so loop.* counts kept items only.
    std::vector<Value> items;
    for (auto& item : all_items) {
      if (loop.filter != nullptr) {
        KEEL_TRY(count_step(line));
        auto filter_scope = std::make_shared<Scope>();
        filter_scope->parent = scope;
        KEEL_TRY(bind_targets(loop.targets, item, *filter_scope, line));
        KEEL_ASSIGN_OR_RETURN(Value keep, evaluate(*loop.filter, filter_scope));
        if (!keep.truthy()) continue;
      }
      items.push_back(std::move(item));
    }
    if (items.empty()) {
      KEEL_ASSIGN_OR_RETURN(Flow flow, execute(loop.else_body, scope, out));
      (void)flow;
      return ok_status();
    }
    const int64_t length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
      KEEL_TRY(count_step(line));
      auto iteration = std::make_shared<Scope>();
      iteration->parent = scope;
      size_t index = static_cast<size_t>(i);
      KEEL_TRY(bind_targets(loop.targets, items[index], *iteration, line));
      iteration->variables["loop"] = make_loop_value(items, index);
      KEEL_ASSIGN_OR_RETURN(Flow flow, execute(loop.body, iteration, out));
      if (flow == Flow::kBreak) break;
    }
    return ok_status();
  }

  static Value make_loop_value(const std::vector<Value>& items, size_t index) {
    const int64_t length = static_cast<int64_t>(items.size());
    const int64_t i = static_cast<int64_t>(index);
    ValueDict loop;
    loop.set("index", Value(i + 1));
    loop.set("index0", Value(i));
    loop.set("revindex", Value(length - i));
    loop.set("revindex0", Value(length - i - 1));
    loop.set("first", Value(i == 0));
    loop.set("last", Value(i == length - 1));
    loop.set("length", Value(length));
    loop.set("depth", Value(1));
    loop.set("depth0", Value(0));
    loop.set("previtem", index > 0 ? items[index - 1] : Value::undefined("there is no previous item"));
    loop.set("nextitem", index + 1 < items.size() ? items[index + 1] : Value::undefined("there is no next item"));
    loop.set("cycle", Value::callable("loop.cycle", [index](const CallArguments& arguments) -> Result<Value> {
      if (arguments.positional.empty()) return Error{"loop.cycle(): needs at least one value"};
      return arguments.positional[index % arguments.positional.size()];
    }));
    return Value::dict(std::move(loop));
  }

  Status execute_set(const SetStmt& set, const ScopePtr& scope, int line) {
    Value value;
    if (set.value != nullptr) {
      KEEL_ASSIGN_OR_RETURN(value, evaluate(*set.value, scope));
    } else {
      std::string captured;
      KEEL_ASSIGN_OR_RETURN(Flow flow, execute(set.body, scope, captured));
      (void)flow;
      value = Value(std::move(captured));
      KEEL_TRY(check_value_limits(value, line));  // its bytes were charged as they were written
    }
    if (!set.namespace_attribute.empty()) {
      const Value* target = scope->lookup(set.targets[0]);
      if (target == nullptr || !target->is_namespace()) {
        return at_line(line, "cannot assign attribute on non-namespace object '" + set.targets[0] + "'");
      }
      // A namespace inside a namespace could be the namespace itself: a
      // reference cycle that is never freed (and never needed by a template).
      if (value.holds_namespace()) {
        return at_line(line, "cannot store a namespace in the namespace attribute '" + set.targets[0] + "." +
                                 set.namespace_attribute + "'");
      }
      target->as_namespace().attributes.set(set.namespace_attribute, std::move(value));
      return ok_status();
    }
    return bind_targets(set.targets, value, *scope, line);
  }

  // A macro is a callable closing over its defining scope. The scope is held
  // weakly: scopes own the macro value, and a strong reference would be a cycle.
  Value make_macro(const MacroStmt& macro, const ScopePtr& scope) {
    std::weak_ptr<Scope> defining_scope = scope;
    const MacroStmt* definition = &macro;
    return Value::callable(macro.name, [this, definition, defining_scope](const CallArguments& arguments) -> Result<Value> {
      ScopePtr parent = defining_scope.lock();
      if (parent == nullptr) return Error{"macro '" + definition->name + "' called after its scope ended"};
      return call_macro(*definition, parent, arguments);
    });
  }

  Result<Value> call_macro(const MacroStmt& macro, const ScopePtr& parent, const CallArguments& arguments) {
    if (call_depth_ >= limits_.max_call_depth) {
      return Error{"maximum macro call depth (" + std::to_string(limits_.max_call_depth) + ") exceeded in '" +
                   macro.name + "'"};
    }
    if (arguments.positional.size() > macro.parameters.size()) {
      return Error{"macro '" + macro.name + "' takes not more than " + std::to_string(macro.parameters.size()) + " arguments"};
    }
    auto frame = std::make_shared<Scope>();
    frame->parent = parent;
    for (size_t i = 0; i < macro.parameters.size(); ++i) {
      const MacroParameter& parameter = macro.parameters[i];
      Value value = Value::undefined("'" + parameter.name + "' is undefined");
      bool given = false;
      if (i < arguments.positional.size()) {
        value = arguments.positional[i];
        given = true;
      }
      for (const auto& [key, keyword_value] : arguments.keyword) {
        if (key == parameter.name) {
          value = keyword_value;
          given = true;
        }
      }
      if (!given && parameter.default_value != nullptr) {
        KEEL_ASSIGN_OR_RETURN(value, evaluate(*parameter.default_value, frame));
      }
      frame->variables[parameter.name] = std::move(value);
    }
    for (const auto& [key, unused] : arguments.keyword) {
      bool known = false;
      for (const auto& parameter : macro.parameters) known = known || parameter.name == key;
      if (!known) return Error{"macro '" + macro.name + "' has no argument named '" + key + "'"};
    }
    ++call_depth_;
    std::string out;
    auto flow = execute(*macro.body, frame, out);
    --call_depth_;
    if (!flow.ok()) return flow.error();
    return Value(std::move(out));
  }

  // ----- expressions -----

  // Every expression is evaluated here. Literals, names, attribute and item
  // lookups and conditionals hand back values that already exist; every
  // other expression builds a new value, which is charged and checked.
  Result<Value> evaluate(const Expression& expression, const ScopePtr& scope) {
    DepthGuard guard(nesting_);
    KEEL_TRY(check_nesting(expression.line));
    KEEL_ASSIGN_OR_RETURN(Value value, evaluate_node(expression, scope));
    const auto& node = expression.node;
    const bool existing = std::holds_alternative<LiteralExpr>(node) || std::holds_alternative<NameExpr>(node) ||
                          std::holds_alternative<AttributeExpr>(node) || std::holds_alternative<ItemExpr>(node) ||
                          std::holds_alternative<ConditionalExpr>(node);
    if (!existing) KEEL_TRY(accept_built(value, expression.line));
    return value;
  }

  // Looking into a string (by code point) or a dict (by key) is linear in
  // its size; a list is indexed directly.
  Status charge_lookup(const Value& object, int line) {
    return object.is_list() ? ok_status() : charge(object.own_footprint(), line);
  }

  // Arguments are charged by their own size; a callee that walks into them
  // (comparisons, tests) is charged their whole footprint by its caller.
  Status charge_arguments(const CallArguments& arguments, bool walked, int line) {
    for (const Value& value : arguments.positional) KEEL_TRY(charge(walked ? value.footprint() : value.own_footprint(), line));
    for (const auto& [name, value] : arguments.keyword) KEEL_TRY(charge(walked ? value.footprint() : value.own_footprint(), line));
    return ok_status();
  }

  Result<Value> evaluate_node(const Expression& expression, const ScopePtr& scope) {
    int line = expression.line;
    const auto& node = expression.node;
    if (const auto* literal = std::get_if<LiteralExpr>(&node)) return literal->value;
    if (const auto* name = std::get_if<NameExpr>(&node)) {
      const Value* found = scope->lookup(name->name);
      return found != nullptr ? *found : Value::undefined("'" + name->name + "' is undefined");
    }
    if (const auto* list = std::get_if<ListExpr>(&node)) {
      std::vector<Value> items;
      for (const auto& item : list->items) {
        KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*item, scope));
        items.push_back(std::move(value));
      }
      return Value::list(std::move(items), list->is_tuple);
    }
    if (const auto* dict = std::get_if<DictExpr>(&node)) {
      ValueDict entries;
      for (const auto& [key_expression, value_expression] : dict->entries) {
        KEEL_ASSIGN_OR_RETURN(Value key, evaluate(*key_expression, scope));
        if (!key.is_string()) return at_line(line, "dict keys must be strings, got " + key.type_name());
        KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*value_expression, scope));
        entries.set(key.as_string(), std::move(value));
      }
      return Value::dict(std::move(entries));
    }
    if (const auto* attribute = std::get_if<AttributeExpr>(&node)) {
      KEEL_ASSIGN_OR_RETURN(Value object, evaluate(*attribute->object, scope));
      KEEL_TRY(charge_lookup(object, line));
      return get_attribute(object, attribute->name, line);
    }
    if (const auto* item = std::get_if<ItemExpr>(&node)) {
      KEEL_ASSIGN_OR_RETURN(Value object, evaluate(*item->object, scope));
      KEEL_ASSIGN_OR_RETURN(Value key, evaluate(*item->key, scope));
      KEEL_TRY(charge_lookup(object, line));
      return get_item(object, key, line);
    }
    if (const auto* slice = std::get_if<SliceExpr>(&node)) return evaluate_slice(*slice, scope, line);
    if (const auto* call = std::get_if<CallExpr>(&node)) return evaluate_call(*call, scope, line);
    if (const auto* filter = std::get_if<FilterExpr>(&node)) {
      KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*filter->value, scope));
      KEEL_ASSIGN_OR_RETURN(CallArguments arguments, evaluate_arguments(filter->positional, filter->keyword, scope));
      KEEL_TRY(charge(filter_work(filter->name, value), line));
      KEEL_TRY(charge_arguments(arguments, /*walked=*/false, line));
      auto result = apply_filter(filter->name, value, arguments);
      if (!result.ok()) return at_line(line, result.error().message);
      return result;
    }
    if (const auto* test = std::get_if<TestExpr>(&node)) {
      KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*test->value, scope));
      KEEL_ASSIGN_OR_RETURN(CallArguments arguments, evaluate_arguments(test->arguments, {}, scope));
      KEEL_TRY(charge(value.footprint(), line));  // tests such as equalto and in compare whole values
      KEEL_TRY(charge_arguments(arguments, /*walked=*/true, line));
      auto passed = apply_test(test->name, value, arguments);
      if (!passed.ok()) return at_line(line, passed.error().message);
      return Value(*passed != test->negated);
    }
    if (const auto* unary = std::get_if<UnaryExpr>(&node)) {
      KEEL_ASSIGN_OR_RETURN(Value operand, evaluate(*unary->operand, scope));
      if (unary->op == "not") return Value(!operand.truthy());
      if (operand.is_int()) {
        if (unary->op != "-") return operand;
        std::optional<int64_t> negated = checked_negate(operand.as_int());
        if (!negated) return at_line(line, "integer overflow in unary -");
        return Value(*negated);
      }
      if (operand.is_float() || operand.is_bool()) return Value(unary->op == "-" ? -operand.as_double() : operand.as_double());
      return at_line(line, "bad operand type for unary " + unary->op + ": '" + operand.type_name() + "'");
    }
    if (const auto* binary = std::get_if<BinaryExpr>(&node)) return evaluate_binary(*binary, scope, line);
    const auto& conditional = std::get<ConditionalExpr>(node);
    KEEL_ASSIGN_OR_RETURN(Value condition, evaluate(*conditional.condition, scope));
    if (condition.truthy()) return evaluate(*conditional.if_true, scope);
    if (conditional.if_false == nullptr) return Value::undefined("the inline if expression had no else");
    return evaluate(*conditional.if_false, scope);
  }

  // Undefined may be printed, tested and iterated, but not looked into.
  static Error undefined_error(const Value& value, int line) { return at_line(line, value.undefined_name()); }

  Result<Value> get_attribute(const Value& object, const std::string& name, int line) {
    if (object.is_undefined()) return undefined_error(object, line);
    if (object.is_namespace()) {
      const Value* found = object.as_namespace().attributes.find(name);
      if (found != nullptr) return *found;
    } else if (object.is_dict()) {
      const Value* found = object.as_dict().find(name);
      if (found != nullptr) return *found;
    }
    return Value::undefined("'" + object.type_name() + " object' has no attribute '" + name + "'");
  }

  Result<Value> get_item(const Value& object, const Value& key, int line) {
    if (object.is_undefined()) return undefined_error(object, line);
    if (key.is_int() && (object.is_list() || object.is_string())) {
      const Value missing =
          Value::undefined("'" + object.type_name() + " object' has no element " + std::to_string(key.as_int()));
      if (object.is_string()) {  // indexed by code point
        std::optional<std::string> point = code_point_at(object.as_string(), key.as_int());
        return point ? Value(std::move(*point)) : missing;
      }
      const int64_t size = static_cast<int64_t>(object.as_list().items.size());
      const int64_t index = key.as_int() < 0 ? key.as_int() + size : key.as_int();
      if (index < 0 || index >= size) return missing;
      return object.as_list().items[static_cast<size_t>(index)];
    }
    if (key.is_string()) return get_attribute(object, key.as_string(), line);
    return Value::undefined("'" + object.type_name() + " object' has no element " + key.repr());
  }

  Result<Value> evaluate_slice(const SliceExpr& slice, const ScopePtr& scope, int line) {
    KEEL_ASSIGN_OR_RETURN(Value object, evaluate(*slice.object, scope));
    if (object.is_undefined()) return undefined_error(object, line);
    if (!object.is_list() && !object.is_string()) {
      return at_line(line, "'" + object.type_name() + "' object is not subscriptable");
    }
    std::vector<size_t> offsets;  // a string is sliced by code point: first find where each one starts
    if (object.is_string()) {
      KEEL_TRY(charge(object.own_footprint() + object.as_string().size() * sizeof(size_t), line));
      offsets = code_point_offsets(object.as_string());
    }
    std::optional<int64_t> bounds[3];
    const Expression* parts[3] = {slice.start.get(), slice.stop.get(), slice.step.get()};
    for (int i = 0; i < 3; ++i) {
      if (parts[i] == nullptr) continue;
      KEEL_ASSIGN_OR_RETURN(Value bound, evaluate(*parts[i], scope));
      if (bound.is_none()) continue;
      if (!bound.is_int()) return at_line(line, "slice indices must be integers or None");
      bounds[i] = bound.as_int();
    }
    // Python's slice.indices(): clamp, with defaults depending on the step sign.
    const int64_t size = static_cast<int64_t>(object.is_list() ? object.as_list().items.size() : offsets.size());
    const int64_t step = bounds[2].value_or(1);
    if (step == 0) return at_line(line, "slice step cannot be zero");
    auto clamp_bound = [&](std::optional<int64_t> bound, int64_t fallback) {
      if (!bound) return fallback;
      int64_t b = *bound < 0 ? *bound + size : *bound;
      if (step > 0) return std::clamp<int64_t>(b, 0, size);
      return std::clamp<int64_t>(b, -1, size - 1);
    };
    int64_t start = clamp_bound(bounds[0], step > 0 ? 0 : size - 1);
    int64_t stop = clamp_bound(bounds[1], step > 0 ? size : -1);
    std::vector<Value> selected;
    std::string text;
    // A step that would overflow has passed `stop` (which fits in int64_t).
    for (std::optional<int64_t> i = start; i && (step > 0 ? *i < stop : *i > stop); i = checked_add(*i, step)) {
      const size_t index = static_cast<size_t>(*i);
      if (object.is_list()) {
        selected.push_back(object.as_list().items[index]);
      } else {
        text += code_point_at_offset(object.as_string(), offsets, index);
      }
    }
    if (object.is_list()) return Value::list(std::move(selected));
    return Value(std::move(text));
  }

  Result<CallArguments> evaluate_arguments(const std::vector<ExpressionPtr>& positional,
                                           const std::vector<KeywordArgument>& keyword, const ScopePtr& scope) {
    CallArguments arguments;
    for (const auto& expression : positional) {
      KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*expression, scope));
      arguments.positional.push_back(std::move(value));
    }
    for (const auto& argument : keyword) {
      KEEL_ASSIGN_OR_RETURN(Value value, evaluate(*argument.value, scope));
      arguments.keyword.emplace_back(argument.name, std::move(value));
    }
    return arguments;
  }

  Result<Value> evaluate_call(const CallExpr& call, const ScopePtr& scope, int line) {
    KEEL_TRY(count_step(line));
    KEEL_ASSIGN_OR_RETURN(CallArguments arguments, evaluate_arguments(call.positional, call.keyword, scope));
    KEEL_TRY(charge_arguments(arguments, /*walked=*/false, line));
    // obj.method(...): Python methods of str and dict win over keys, as getattr does.
    if (const auto* attribute = std::get_if<AttributeExpr>(&call.callee->node)) {
      KEEL_ASSIGN_OR_RETURN(Value object, evaluate(*attribute->object, scope));
      if (object.is_undefined()) return undefined_error(object, line);
      KEEL_TRY(charge_lookup(object, line));
      if (has_method(object, attribute->name)) {
        auto result = call_method(object, attribute->name, arguments);
        if (!result.ok()) return at_line(line, result.error().message);
        return result;
      }
      KEEL_ASSIGN_OR_RETURN(Value callee, get_attribute(object, attribute->name, line));
      return invoke(callee, arguments, line);
    }
    KEEL_ASSIGN_OR_RETURN(Value callee, evaluate(*call.callee, scope));
    return invoke(callee, arguments, line);
  }

  Result<Value> invoke(const Value& callee, const CallArguments& arguments, int line) {
    if (callee.is_undefined()) return undefined_error(callee, line);
    if (!callee.is_callable()) return at_line(line, "'" + callee.type_name() + "' object is not callable");
    auto result = callee.as_callable().function(arguments);
    if (!result.ok()) return at_line(line, result.error().message);
    return result;
  }

  Result<Value> evaluate_binary(const BinaryExpr& binary, const ScopePtr& scope, int line) {
    const std::string& op = binary.op;
    KEEL_ASSIGN_OR_RETURN(Value left, evaluate(*binary.left, scope));
    if (op == "and") return left.truthy() ? evaluate(*binary.right, scope) : Result<Value>(left);
    if (op == "or") return left.truthy() ? Result<Value>(left) : evaluate(*binary.right, scope);
    KEEL_ASSIGN_OR_RETURN(Value right, evaluate(*binary.right, scope));
    // Comparisons walk both operands; the other operators read their top level.
    const bool compares = op == "==" || op == "!=" || op == "in" || op == "not in" || op == "<" || op == ">" ||
                          op == "<=" || op == ">=";
    KEEL_TRY(charge(compares ? left.footprint() : left.own_footprint(), line));
    KEEL_TRY(charge(compares ? right.footprint() : right.own_footprint(), line));
    if (op == "~") return Value(left.to_str() + right.to_str());
    if (op == "==") return Value(values_equal(left, right));
    if (op == "!=") return Value(!values_equal(left, right));
    if (op == "in" || op == "not in") {
      if (right.is_undefined()) return Value(op == "not in");
      auto contained = apply_test("in", left, CallArguments{{right}, {}});
      if (!contained.ok()) return at_line(line, contained.error().message);
      return Value(*contained == (op == "in"));
    }
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      bool swap = op == ">" || op == "<=";
      auto less = swap ? value_less(right, left) : value_less(left, right);
      if (!less.ok()) return at_line(line, less.error().message);
      return Value((op == "<" || op == ">") ? *less : !*less);
    }
    if (left.is_undefined()) return undefined_error(left, line);
    if (right.is_undefined()) return undefined_error(right, line);
    auto result = arithmetic(op, left, right);
    if (!result.ok()) return at_line(line, result.error().message);
    return result;
  }

  const RenderLimits& limits_;
  int64_t steps_ = 0;
  size_t work_bytes_ = 0;
  int call_depth_ = 0;
  int nesting_ = 0;
};

}  // namespace

Result<std::string> render_program(const StatementList& program, const ValueDict& variables, const RenderLimits& limits) {
  Evaluator evaluator(limits);
  auto rendered = evaluator.render(program, variables);
  if (!rendered.ok() && rendered.error().message.rfind(kRaisedErrorPrefix, 0) == 0) {
    return Error{rendered.error().message.substr(std::string(kRaisedErrorPrefix).size())};
  }
  return rendered;
}

}  // namespace keel::jinja
