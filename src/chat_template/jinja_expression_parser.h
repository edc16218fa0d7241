// ExpressionParser: the token cursor and the expression grammar of the
// Jinja parser (jinja_parser.cpp adds the statements on top). Operator
// precedence follows Jinja2: filters and tests bind tighter than
// arithmetic, so `messages|length - 1` is (messages|length) - 1.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "chat_template/jinja_ast.h"
#include "chat_template/jinja_depth_guard.h"
#include "chat_template/jinja_lexer.h"
#include "core/result.h"

namespace keel::jinja {

// Deeply nested input ((((...)))) must fail cleanly, not overflow the stack:
// this bounds the parser's recursion and the height of every expression tree,
// which is how deep evaluating or destroying the tree recurses. A chain such
// as 1 + 1 + ... + 1 is parsed by a loop but still builds a tall tree.
constexpr int kMaxNestingDepth = 200;

class ExpressionParser {
 public:
  explicit ExpressionParser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

 protected:
  const Token& peek(size_t ahead = 0) const {
    size_t index = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[index];
  }
  const Token& next() {
    const Token& token = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return token;
  }
  bool at_operator(const char* op) const { return peek().type == TokenType::kOperator && peek().text == op; }
  bool at_name(const char* name) const { return peek().type == TokenType::kName && peek().text == name; }
  bool accept_operator(const char* op) {
    if (!at_operator(op)) return false;
    next();
    return true;
  }
  bool accept_name(const char* name) {
    if (!at_name(name)) return false;
    next();
    return true;
  }

  Error error_here(const std::string& what) const {
    std::string found = peek().type == TokenType::kEnd ? "end of template" : "'" + peek().text + "'";
    if (peek().type == TokenType::kBlockEnd) found = "'%}'";
    if (peek().type == TokenType::kVariableEnd) found = "'}}'";
    return Error{"template syntax error at line " + std::to_string(peek().line) + ": " + what + ", found " + found};
  }

  Status expect_operator(const char* op) {
    if (!accept_operator(op)) return error_here(std::string("expected '") + op + "'");
    return ok_status();
  }
  Result<std::string> expect_name() {
    if (peek().type != TokenType::kName) return error_here("expected a name");
    return next().text;
  }
  Status expect_block_end() {
    if (peek().type != TokenType::kBlockEnd) return error_here("expected '%}'");
    next();
    return ok_status();
  }

  template <class Node>
  Result<ExpressionPtr> make_expression(Node node, int line) {
    auto expression = std::make_unique<Expression>();
    expression->node = std::move(node);
    expression->line = line;
    return with_height(std::move(expression));
  }
  // Sets the node's height from its children's; a tree taller than
  // kMaxNestingDepth is an Error.
  Result<ExpressionPtr> with_height(ExpressionPtr expression) const;

  // ----- expressions (lowest to highest precedence) -----

  // `a, b` without parentheses (right-hand side of set) builds a tuple.
  Result<ExpressionPtr> parse_tuple_or_expression();
  Result<ExpressionPtr> parse_expression();
  Result<ExpressionPtr> parse_or();
  Result<ExpressionPtr> parse_and();
  Result<ExpressionPtr> parse_not();
  Result<ExpressionPtr> parse_compare();
  bool at_comparison() const;
  // Copies literals and names (enough for comparison chains).
  ExpressionPtr clone_simple(const Expression& expression);
  // Binary arithmetic by precedence level: ~ ; + - ; * / // % ; **.
  Result<ExpressionPtr> parse_math(int level);
  // Jinja: unary minus applies before postfix filters: -x|abs == abs(-x).
  Result<ExpressionPtr> parse_unary(bool with_filters = true);
  Result<ExpressionPtr> parse_primary();
  // An integer token's value; one too large for int64_t is an Error.
  static Result<int64_t> integer_value(const Token& token);
  Result<ExpressionPtr> parse_parenthesized();
  Result<ExpressionPtr> parse_list();
  Result<ExpressionPtr> parse_dict();
  Result<ExpressionPtr> parse_postfix(ExpressionPtr node);
  Result<ExpressionPtr> parse_subscript(ExpressionPtr object);
  Status parse_arguments(std::vector<ExpressionPtr>& positional, std::vector<KeywordArgument>& keyword);
  Result<ExpressionPtr> parse_call(ExpressionPtr callee);
  Result<ExpressionPtr> parse_filters_and_tests(ExpressionPtr node);
  // `x is divisibleby 3`: a test may take one argument without parentheses.
  bool starts_test_argument() const;

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace keel::jinja
