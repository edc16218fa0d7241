#include "chat_template/jinja_expression_parser.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace keel::jinja {

// `a, b` without parentheses (right-hand side of set) builds a tuple.
Result<ExpressionPtr> ExpressionParser::parse_tuple_or_expression() {
  int line = peek().line;
  KEEL_ASSIGN_OR_RETURN(auto first, parse_expression());
  if (!at_operator(",")) return first;
  ListExpr tuple;
  tuple.is_tuple = true;
  tuple.items.push_back(std::move(first));
  while (accept_operator(",")) {
    KEEL_ASSIGN_OR_RETURN(auto item, parse_expression());
    tuple.items.push_back(std::move(item));
  }
  return make_expression(std::move(tuple), line);
}

Result<ExpressionPtr> ExpressionParser::parse_expression() {
  DepthGuard guard(depth_);
  if (depth_ > kMaxNestingDepth) return error_here("expression nested too deeply");
  int line = peek().line;
  KEEL_ASSIGN_OR_RETURN(auto value, parse_or());
  while (accept_name("if")) {
    ConditionalExpr conditional;
    KEEL_ASSIGN_OR_RETURN(conditional.condition, parse_or());
    if (accept_name("else")) {
      KEEL_ASSIGN_OR_RETURN(conditional.if_false, parse_expression());
    }
    conditional.if_true = std::move(value);
    KEEL_ASSIGN_OR_RETURN(value, make_expression(std::move(conditional), line));
  }
  return value;
}

Result<ExpressionPtr> ExpressionParser::parse_or() {
  KEEL_ASSIGN_OR_RETURN(auto left, parse_and());
  while (at_name("or")) {
    int line = next().line;
    KEEL_ASSIGN_OR_RETURN(auto right, parse_and());
    KEEL_ASSIGN_OR_RETURN(left, make_expression(BinaryExpr{"or", std::move(left), std::move(right)}, line));
  }
  return left;
}

Result<ExpressionPtr> ExpressionParser::parse_and() {
  KEEL_ASSIGN_OR_RETURN(auto left, parse_not());
  while (at_name("and")) {
    int line = next().line;
    KEEL_ASSIGN_OR_RETURN(auto right, parse_not());
    KEEL_ASSIGN_OR_RETURN(left, make_expression(BinaryExpr{"and", std::move(left), std::move(right)}, line));
  }
  return left;
}

Result<ExpressionPtr> ExpressionParser::parse_not() {
  if (at_name("not")) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNestingDepth) return error_here("expression nested too deeply");
    int line = next().line;
    KEEL_ASSIGN_OR_RETURN(auto operand, parse_not());
    return make_expression(UnaryExpr{"not", std::move(operand)}, line);
  }
  return parse_compare();
}

Result<ExpressionPtr> ExpressionParser::parse_compare() {
  static const std::set<std::string> kComparisons = {"==", "!=", "<", "<=", ">", ">="};
  KEEL_ASSIGN_OR_RETURN(auto left, parse_math(0));
  ExpressionPtr chain;  // earlier comparisons of a chain, and-ed together
  while (true) {
    int line = peek().line;
    std::string op;
    if (peek().type == TokenType::kOperator && kComparisons.count(peek().text) != 0) {
      op = next().text;
    } else if (at_name("in")) {
      next();
      op = "in";
    } else if (at_name("not") && peek(1).type == TokenType::kName && peek(1).text == "in") {
      next();
      next();
      op = "not in";
    } else {
      break;
    }
    KEEL_ASSIGN_OR_RETURN(auto right, parse_math(0));
    if (chain == nullptr && !at_comparison()) {
      return make_expression(BinaryExpr{op, std::move(left), std::move(right)}, line);
    }
    // Chains are rare in templates: a < b < c becomes (a < b) and (b < c),
    // re-evaluating b, which is side-effect free here.
    ExpressionPtr right_copy = clone_simple(*right);
    if (right_copy == nullptr) return error_here("unsupported comparison chain");
    KEEL_ASSIGN_OR_RETURN(auto pair, make_expression(BinaryExpr{op, std::move(left), std::move(right)}, line));
    if (chain) {
      KEEL_ASSIGN_OR_RETURN(chain, make_expression(BinaryExpr{"and", std::move(chain), std::move(pair)}, line));
    } else {
      chain = std::move(pair);
    }
    left = std::move(right_copy);
  }
  return chain ? std::move(chain) : std::move(left);
}

bool ExpressionParser::at_comparison() const {
  static const std::set<std::string> kComparisons = {"==", "!=", "<", "<=", ">", ">="};
  return (peek().type == TokenType::kOperator && kComparisons.count(peek().text) != 0) || at_name("in") ||
         (at_name("not") && peek(1).text == "in");
}

// Copies literals and names (enough for comparison chains).
ExpressionPtr ExpressionParser::clone_simple(const Expression& expression) {
  auto copy = std::make_unique<Expression>();
  if (const auto* literal = std::get_if<LiteralExpr>(&expression.node)) {
    copy->node = *literal;
  } else if (const auto* name = std::get_if<NameExpr>(&expression.node)) {
    copy->node = *name;
  } else {
    return nullptr;
  }
  copy->line = expression.line;  // a leaf, so its height stays 1
  return copy;
}

// Binary arithmetic by precedence level: ~ ; + - ; * / // % ; **.
Result<ExpressionPtr> ExpressionParser::parse_math(int level) {
  static const std::vector<std::set<std::string>> kLevels = {{"~"}, {"+", "-"}, {"*", "/", "//", "%"}, {"**"}};
  if (level == static_cast<int>(kLevels.size())) return parse_unary();
  KEEL_ASSIGN_OR_RETURN(auto left, parse_math(level + 1));
  while (peek().type == TokenType::kOperator && kLevels[static_cast<size_t>(level)].count(peek().text) != 0) {
    const Token& op = next();
    KEEL_ASSIGN_OR_RETURN(auto right, parse_math(level + 1));
    KEEL_ASSIGN_OR_RETURN(left, make_expression(BinaryExpr{op.text, std::move(left), std::move(right)}, op.line));
  }
  return left;
}

// Jinja: unary minus applies before postfix filters: -x|abs == abs(-x).
Result<ExpressionPtr> ExpressionParser::parse_unary(bool with_filters) {
  DepthGuard guard(depth_);
  if (depth_ > kMaxNestingDepth) return error_here("expression nested too deeply");
  ExpressionPtr node;
  if (at_operator("-") || at_operator("+")) {
    const Token& op = next();
    KEEL_ASSIGN_OR_RETURN(auto operand, parse_unary(false));
    KEEL_ASSIGN_OR_RETURN(node, make_expression(UnaryExpr{op.text, std::move(operand)}, op.line));
  } else {
    KEEL_ASSIGN_OR_RETURN(node, parse_primary());
  }
  KEEL_ASSIGN_OR_RETURN(node, parse_postfix(std::move(node)));
  if (with_filters) {
    KEEL_ASSIGN_OR_RETURN(node, parse_filters_and_tests(std::move(node)));
  }
  return node;
}

Result<ExpressionPtr> ExpressionParser::parse_primary() {
  const Token& token = peek();
  int line = token.line;
  switch (token.type) {
    case TokenType::kName: {
      std::string name = next().text;
      if (name == "true" || name == "True") return make_expression(LiteralExpr{Value(true)}, line);
      if (name == "false" || name == "False") return make_expression(LiteralExpr{Value(false)}, line);
      if (name == "none" || name == "None") return make_expression(LiteralExpr{Value::none()}, line);
      return make_expression(NameExpr{std::move(name)}, line);
    }
    case TokenType::kString: {
      std::string text = next().text;
      while (peek().type == TokenType::kString) text += next().text;  // 'a' 'b' concatenates
      return make_expression(LiteralExpr{Value(std::move(text))}, line);
    }
    case TokenType::kInteger: {
      KEEL_ASSIGN_OR_RETURN(int64_t number, integer_value(next()));
      return make_expression(LiteralExpr{Value(number)}, line);
    }
    case TokenType::kFloat: {
      const std::string& text = next().text;
      double number = 0;
      std::from_chars(text.data(), text.data() + text.size(), number);
      return make_expression(LiteralExpr{Value(number)}, line);
    }
    case TokenType::kOperator:
      if (token.text == "(") return parse_parenthesized();
      if (token.text == "[") return parse_list();
      if (token.text == "{") return parse_dict();
      break;
    default: break;
  }
  return error_here("expected an expression");
}

namespace {

int height(const ExpressionPtr& expression) { return expression ? expression->height : 0; }

int tallest(const std::vector<ExpressionPtr>& expressions) {
  int tallest_height = 0;
  for (const auto& expression : expressions) tallest_height = std::max(tallest_height, height(expression));
  return tallest_height;
}

int tallest(const std::vector<KeywordArgument>& arguments) {
  int tallest_height = 0;
  for (const auto& argument : arguments) tallest_height = std::max(tallest_height, height(argument.value));
  return tallest_height;
}

// The height of the tallest child of each kind of node.
struct TallestChild {
  int operator()(const LiteralExpr&) const { return 0; }
  int operator()(const NameExpr&) const { return 0; }
  int operator()(const ListExpr& node) const { return tallest(node.items); }
  int operator()(const DictExpr& node) const {
    int tallest_height = 0;
    for (const auto& [key, value] : node.entries) tallest_height = std::max({tallest_height, height(key), height(value)});
    return tallest_height;
  }
  int operator()(const AttributeExpr& node) const { return height(node.object); }
  int operator()(const ItemExpr& node) const { return std::max(height(node.object), height(node.key)); }
  int operator()(const SliceExpr& node) const {
    return std::max({height(node.object), height(node.start), height(node.stop), height(node.step)});
  }
  int operator()(const CallExpr& node) const {
    return std::max({height(node.callee), tallest(node.positional), tallest(node.keyword)});
  }
  int operator()(const FilterExpr& node) const {
    return std::max({height(node.value), tallest(node.positional), tallest(node.keyword)});
  }
  int operator()(const TestExpr& node) const { return std::max(height(node.value), tallest(node.arguments)); }
  int operator()(const UnaryExpr& node) const { return height(node.operand); }
  int operator()(const BinaryExpr& node) const { return std::max(height(node.left), height(node.right)); }
  int operator()(const ConditionalExpr& node) const {
    return std::max({height(node.condition), height(node.if_true), height(node.if_false)});
  }
};

}  // namespace

Result<ExpressionPtr> ExpressionParser::with_height(ExpressionPtr expression) const {
  expression->height = 1 + std::visit(TallestChild{}, expression->node);
  if (expression->height > kMaxNestingDepth) {
    return Error{"template syntax error at line " + std::to_string(expression->line) + ": expression nested too deeply"};
  }
  return expression;
}

Result<int64_t> ExpressionParser::integer_value(const Token& token) {
  const std::string& text = token.text;
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error{"integer literal out of range at line " + std::to_string(token.line)};
  }
  return number;
}

Result<ExpressionPtr> ExpressionParser::parse_parenthesized() {
  int line = next().line;
  ListExpr tuple;
  tuple.is_tuple = true;
  bool saw_comma = false;
  while (!accept_operator(")")) {
    KEEL_ASSIGN_OR_RETURN(auto item, parse_expression());
    tuple.items.push_back(std::move(item));
    if (accept_operator(",")) {
      saw_comma = true;
    } else if (!at_operator(")")) {
      return error_here("expected ',' or ')'");
    }
  }
  if (tuple.items.size() == 1 && !saw_comma) return std::move(tuple.items[0]);
  return make_expression(std::move(tuple), line);
}

Result<ExpressionPtr> ExpressionParser::parse_list() {
  int line = next().line;
  ListExpr list;
  while (!accept_operator("]")) {
    KEEL_ASSIGN_OR_RETURN(auto item, parse_expression());
    list.items.push_back(std::move(item));
    if (!at_operator("]")) KEEL_TRY(expect_operator(","));
  }
  return make_expression(std::move(list), line);
}

Result<ExpressionPtr> ExpressionParser::parse_dict() {
  int line = next().line;
  DictExpr dict;
  while (!accept_operator("}")) {
    KEEL_ASSIGN_OR_RETURN(auto key, parse_expression());
    KEEL_TRY(expect_operator(":"));
    KEEL_ASSIGN_OR_RETURN(auto value, parse_expression());
    dict.entries.emplace_back(std::move(key), std::move(value));
    if (!at_operator("}")) KEEL_TRY(expect_operator(","));
  }
  return make_expression(std::move(dict), line);
}

Result<ExpressionPtr> ExpressionParser::parse_postfix(ExpressionPtr node) {
  while (true) {
    int line = peek().line;
    if (accept_operator(".")) {
      if (peek().type == TokenType::kInteger) {  // a.0 is a[0]
        KEEL_ASSIGN_OR_RETURN(int64_t index, integer_value(next()));
        KEEL_ASSIGN_OR_RETURN(auto key, make_expression(LiteralExpr{Value(index)}, line));
        KEEL_ASSIGN_OR_RETURN(node, make_expression(ItemExpr{std::move(node), std::move(key)}, line));
        continue;
      }
      KEEL_ASSIGN_OR_RETURN(auto name, expect_name());
      KEEL_ASSIGN_OR_RETURN(node, make_expression(AttributeExpr{std::move(node), std::move(name)}, line));
    } else if (at_operator("[")) {
      KEEL_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node)));
    } else if (at_operator("(")) {
      KEEL_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExpressionPtr> ExpressionParser::parse_subscript(ExpressionPtr object) {
  int line = next().line;
  ExpressionPtr parts[3];
  int part = 0;
  bool is_slice = false;
  while (!accept_operator("]")) {
    if (accept_operator(":")) {
      is_slice = true;
      if (++part > 2) return error_here("too many ':' in slice");
      continue;
    }
    if (parts[part] != nullptr) return error_here("expected ':' or ']'");
    KEEL_ASSIGN_OR_RETURN(parts[part], parse_expression());
  }
  if (!is_slice) {
    if (parts[0] == nullptr) return error_here("empty subscript");
    return make_expression(ItemExpr{std::move(object), std::move(parts[0])}, line);
  }
  return make_expression(SliceExpr{std::move(object), std::move(parts[0]), std::move(parts[1]), std::move(parts[2])},
                         line);
}

Status ExpressionParser::parse_arguments(std::vector<ExpressionPtr>& positional, std::vector<KeywordArgument>& keyword) {
  KEEL_TRY(expect_operator("("));
  while (!accept_operator(")")) {
    if (peek().type == TokenType::kName && peek(1).type == TokenType::kOperator && peek(1).text == "=") {
      std::string name = next().text;
      next();
      KEEL_ASSIGN_OR_RETURN(auto value, parse_expression());
      keyword.push_back(KeywordArgument{std::move(name), std::move(value)});
    } else {
      if (at_operator("*") || at_operator("**")) return error_here("unsupported *args/**kwargs call syntax");
      KEEL_ASSIGN_OR_RETURN(auto value, parse_expression());
      positional.push_back(std::move(value));
    }
    if (!at_operator(")")) KEEL_TRY(expect_operator(","));
  }
  return ok_status();
}

Result<ExpressionPtr> ExpressionParser::parse_call(ExpressionPtr callee) {
  int line = peek().line;
  CallExpr call;
  call.callee = std::move(callee);
  KEEL_TRY(parse_arguments(call.positional, call.keyword));
  return make_expression(std::move(call), line);
}

Result<ExpressionPtr> ExpressionParser::parse_filters_and_tests(ExpressionPtr node) {
  while (true) {
    int line = peek().line;
    if (accept_operator("|")) {
      FilterExpr filter;
      KEEL_ASSIGN_OR_RETURN(filter.name, expect_name());
      if (at_operator("(")) KEEL_TRY(parse_arguments(filter.positional, filter.keyword));
      filter.value = std::move(node);
      KEEL_ASSIGN_OR_RETURN(node, make_expression(std::move(filter), line));
    } else if (accept_name("is")) {
      TestExpr test;
      test.negated = accept_name("not");
      KEEL_ASSIGN_OR_RETURN(test.name, expect_name());
      if (at_operator("(")) {
        std::vector<KeywordArgument> keyword;
        KEEL_TRY(parse_arguments(test.arguments, keyword));
        if (!keyword.empty()) return error_here("unsupported keyword arguments to a test");
      } else if (starts_test_argument()) {
        KEEL_ASSIGN_OR_RETURN(auto argument, parse_primary());
        KEEL_ASSIGN_OR_RETURN(argument, parse_postfix(std::move(argument)));
        test.arguments.push_back(std::move(argument));
      }
      test.value = std::move(node);
      KEEL_ASSIGN_OR_RETURN(node, make_expression(std::move(test), line));
    } else if (at_operator("(")) {
      KEEL_ASSIGN_OR_RETURN(node, parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

// `x is divisibleby 3`: a test may take one argument without parentheses.
bool ExpressionParser::starts_test_argument() const {
  const Token& token = peek();
  if (token.type == TokenType::kString || token.type == TokenType::kInteger || token.type == TokenType::kFloat) return true;
  if (token.type == TokenType::kOperator) return token.text == "[" || token.text == "{";
  if (token.type != TokenType::kName) return false;
  static const std::set<std::string> kStopWords = {"else", "or", "and", "if", "is", "in", "not"};
  return kStopWords.count(token.text) == 0;
}

}  // namespace keel::jinja
