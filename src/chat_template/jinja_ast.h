// Syntax tree of a parsed Jinja template: expressions (what {{ }} and tag
// arguments compute) and statements (text, output, if, for, set, macro...).
// Nodes own their children; the tree is immutable after parsing.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "chat_template/jinja_value.h"

namespace keel::jinja {

struct Expression;
using ExpressionPtr = std::unique_ptr<Expression>;

struct LiteralExpr { Value value; };
struct NameExpr { std::string name; };
struct ListExpr { std::vector<ExpressionPtr> items; bool is_tuple = false; };
struct DictExpr { std::vector<std::pair<ExpressionPtr, ExpressionPtr>> entries; };
// a.name: attribute first, then item (Jinja's getattr).
struct AttributeExpr { ExpressionPtr object; std::string name; };
// a[key]: item first, then attribute (Jinja's getitem).
struct ItemExpr { ExpressionPtr object; ExpressionPtr key; };
// a[start:stop:step]; absent parts are null.
struct SliceExpr { ExpressionPtr object, start, stop, step; };
struct KeywordArgument { std::string name; ExpressionPtr value; };
struct CallExpr { ExpressionPtr callee; std::vector<ExpressionPtr> positional; std::vector<KeywordArgument> keyword; };
// value | name(args): the filtered value is the first argument.
struct FilterExpr { ExpressionPtr value; std::string name; std::vector<ExpressionPtr> positional; std::vector<KeywordArgument> keyword; };
// value is [not] name(args)
struct TestExpr { ExpressionPtr value; std::string name; std::vector<ExpressionPtr> arguments; bool negated = false; };
struct UnaryExpr { std::string op; ExpressionPtr operand; };  // "not", "-", "+"
// Arithmetic, '~', comparisons, 'in', 'not in', 'and', 'or'. Comparison
// chains (a < b < c) are parsed into an 'and' of pairs sharing operands.
struct BinaryExpr { std::string op; ExpressionPtr left, right; };
struct ConditionalExpr { ExpressionPtr condition, if_true, if_false; };  // if_false may be null

struct Expression {
  std::variant<LiteralExpr, NameExpr, ListExpr, DictExpr, AttributeExpr, ItemExpr, SliceExpr, CallExpr, FilterExpr,
               TestExpr, UnaryExpr, BinaryExpr, ConditionalExpr>
      node;
  int line = 0;
  int height = 1;  // nodes on the longest path down from here; evaluation recurses this deep
};

struct Statement;
using StatementList = std::vector<std::unique_ptr<Statement>>;

struct TextStmt { std::string text; };
struct OutputStmt { ExpressionPtr expression; };
struct IfStmt {
  std::vector<std::pair<ExpressionPtr, StatementList>> branches;  // if + elifs
  StatementList else_body;
};
struct ForStmt {
  std::vector<std::string> targets;  // several when unpacking: for k, v in ...
  ExpressionPtr iterable;
  ExpressionPtr filter;  // for x in xs if cond; may be null
  StatementList body;
  StatementList else_body;  // runs when no item was iterated
};
// {% set name = e %}, {% set a, b = e %}, {% set ns.attr = e %}, or the
// block form {% set name %}...{% endset %} (value null, body used).
struct SetStmt {
  std::vector<std::string> targets;
  std::string namespace_attribute;  // non-empty for ns.attr assignments (targets[0] is ns)
  ExpressionPtr value;
  StatementList body;
};
struct MacroParameter { std::string name; ExpressionPtr default_value; };
struct MacroStmt { std::string name; std::vector<MacroParameter> parameters; std::shared_ptr<StatementList> body; };
struct BreakStmt {};
struct ContinueStmt {};
// {% filter name %}...{% endfilter %}: applies a filter to the rendered body.
struct FilterBlockStmt { std::string filter; StatementList body; };
// transformers' {% generation %} marks assistant text; it renders its body.
struct GenerationStmt { StatementList body; };

struct Statement {
  std::variant<TextStmt, OutputStmt, IfStmt, ForStmt, SetStmt, MacroStmt, BreakStmt, ContinueStmt, FilterBlockStmt,
               GenerationStmt>
      node;
  int line = 0;
};

}  // namespace keel::jinja
