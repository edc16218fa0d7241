#include "chat_template/jinja_parser.h"

#include <set>

#include "chat_template/jinja_expression_parser.h"
#include "chat_template/jinja_lexer.h"

namespace keel::jinja {
namespace {

// The statement grammar (blocks, tags), over the expression grammar.
class Parser : public ExpressionParser {
 public:
  explicit Parser(std::vector<Token> tokens) : ExpressionParser(std::move(tokens)) {}

  Result<StatementList> parse_all() {
    KEEL_ASSIGN_OR_RETURN(auto body, parse_body({}));
    return std::move(body.statements);
  }

 private:
  struct Body {
    StatementList statements;
    std::string end_tag;  // the tag that ended the body, e.g. "endif", "elif"
  };

  template <class Node>
  std::unique_ptr<Statement> make_statement(Node node, int line) {
    auto statement = std::make_unique<Statement>();
    statement->node = std::move(node);
    statement->line = line;
    return statement;
  }

  // ----- statements -----

  // Parses until a block tag in end_tags (consumed: its name is returned, and
  // the caller parses the rest of that tag) or the end of input.
  Result<Body> parse_body(const std::set<std::string>& end_tags) {
    DepthGuard guard(depth_);
    if (depth_ > kMaxNestingDepth) return error_here("blocks nested too deeply");
    Body body;
    while (true) {
      const Token& token = peek();
      if (token.type == TokenType::kEnd) {
        if (!end_tags.empty()) {
          return Error{"template syntax error: unexpected end of template, expected one of '" + join(end_tags) +
                       "' (unclosed block)"};
        }
        return body;
      }
      if (token.type == TokenType::kText) {
        body.statements.push_back(make_statement(TextStmt{next().text}, token.line));
      } else if (token.type == TokenType::kVariableBegin) {
        int line = next().line;
        KEEL_ASSIGN_OR_RETURN(auto expression, parse_expression());
        if (peek().type != TokenType::kVariableEnd) return error_here("expected '}}'");
        next();
        body.statements.push_back(make_statement(OutputStmt{std::move(expression)}, line));
      } else if (token.type == TokenType::kBlockBegin) {
        next();
        if (peek().type != TokenType::kName) return error_here("expected a tag name");
        std::string tag = peek().text;
        if (end_tags.count(tag) != 0) {
          next();
          body.end_tag = tag;
          return body;
        }
        KEEL_ASSIGN_OR_RETURN(auto statement, parse_tag());
        if (statement) body.statements.push_back(std::move(statement));
      } else {
        return error_here("unexpected token");
      }
    }
  }

  static std::string join(const std::set<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : "', '") + name;
    return out;
  }

  Result<std::unique_ptr<Statement>> parse_tag() {
    const Token& tag = next();
    int line = tag.line;
    const std::string& name = tag.text;
    if (name == "if") return parse_if(line);
    if (name == "for") return parse_for(line);
    if (name == "set") return parse_set(line);
    if (name == "macro") return parse_macro(line);
    if (name == "filter") return parse_filter_block(line);
    if (name == "generation") {
      KEEL_TRY(expect_block_end());
      KEEL_ASSIGN_OR_RETURN(Body body, parse_body({"endgeneration"}));
      KEEL_TRY(expect_block_end());
      return make_statement(GenerationStmt{std::move(body.statements)}, line);
    }
    if (name == "break" || name == "continue") {
      if (loop_depth_ == 0) return Error{"template syntax error at line " + std::to_string(line) + ": '" + name + "' outside a for loop"};
      KEEL_TRY(expect_block_end());
      if (name == "break") return make_statement(BreakStmt{}, line);
      return make_statement(ContinueStmt{}, line);
    }
    return Error{"unsupported template tag '{% " + name + " %}' at line " + std::to_string(line)};
  }

  Result<std::unique_ptr<Statement>> parse_if(int line) {
    IfStmt node;
    while (true) {
      KEEL_ASSIGN_OR_RETURN(auto condition, parse_expression());
      KEEL_TRY(expect_block_end());
      KEEL_ASSIGN_OR_RETURN(Body body, parse_body({"elif", "else", "endif"}));
      node.branches.emplace_back(std::move(condition), std::move(body.statements));
      if (body.end_tag == "elif") continue;
      if (body.end_tag == "else") {
        KEEL_TRY(expect_block_end());
        KEEL_ASSIGN_OR_RETURN(Body else_body, parse_body({"endif"}));
        node.else_body = std::move(else_body.statements);
      }
      KEEL_TRY(expect_block_end());
      return make_statement(std::move(node), line);
    }
  }

  Result<std::unique_ptr<Statement>> parse_for(int line) {
    ForStmt node;
    do {
      KEEL_ASSIGN_OR_RETURN(auto target, expect_name());
      node.targets.push_back(std::move(target));
    } while (accept_operator(","));
    if (!accept_name("in")) return error_here("expected 'in' in for loop");
    // The iterable may not contain a bare conditional: 'if' starts the filter.
    KEEL_ASSIGN_OR_RETURN(node.iterable, parse_or());
    if (accept_name("if")) {
      KEEL_ASSIGN_OR_RETURN(node.filter, parse_expression());
    }
    if (at_name("recursive")) return Error{"unsupported 'recursive' for loop at line " + std::to_string(line)};
    KEEL_TRY(expect_block_end());
    ++loop_depth_;
    auto body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (!body.ok()) return body.error();
    node.body = std::move(body->statements);
    if (body->end_tag == "else") {
      KEEL_TRY(expect_block_end());
      KEEL_ASSIGN_OR_RETURN(Body else_body, parse_body({"endfor"}));
      node.else_body = std::move(else_body.statements);
    }
    KEEL_TRY(expect_block_end());
    return make_statement(std::move(node), line);
  }

  Result<std::unique_ptr<Statement>> parse_set(int line) {
    SetStmt node;
    KEEL_ASSIGN_OR_RETURN(auto first, expect_name());
    node.targets.push_back(std::move(first));
    if (accept_operator(".")) {
      KEEL_ASSIGN_OR_RETURN(node.namespace_attribute, expect_name());
    } else {
      while (accept_operator(",")) {
        KEEL_ASSIGN_OR_RETURN(auto target, expect_name());
        node.targets.push_back(std::move(target));
      }
    }
    if (peek().type == TokenType::kBlockEnd && node.targets.size() == 1) {  // block form
      next();
      KEEL_ASSIGN_OR_RETURN(Body body, parse_body({"endset"}));
      KEEL_TRY(expect_block_end());
      node.body = std::move(body.statements);
      return make_statement(std::move(node), line);
    }
    KEEL_TRY(expect_operator("="));
    KEEL_ASSIGN_OR_RETURN(node.value, parse_tuple_or_expression());
    KEEL_TRY(expect_block_end());
    return make_statement(std::move(node), line);
  }

  Result<std::unique_ptr<Statement>> parse_macro(int line) {
    MacroStmt node;
    KEEL_ASSIGN_OR_RETURN(node.name, expect_name());
    KEEL_TRY(expect_operator("("));
    while (!accept_operator(")")) {
      MacroParameter parameter;
      KEEL_ASSIGN_OR_RETURN(parameter.name, expect_name());
      if (accept_operator("=")) {
        KEEL_ASSIGN_OR_RETURN(parameter.default_value, parse_expression());
      }
      node.parameters.push_back(std::move(parameter));
      if (!at_operator(")")) KEEL_TRY(expect_operator(","));
    }
    KEEL_TRY(expect_block_end());
    int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;  // break/continue cannot cross a macro boundary
    auto body = parse_body({"endmacro"});
    loop_depth_ = saved_loop_depth;
    if (!body.ok()) return body.error();
    KEEL_TRY(expect_block_end());
    node.body = std::make_shared<StatementList>(std::move(body->statements));
    return make_statement(std::move(node), line);
  }

  Result<std::unique_ptr<Statement>> parse_filter_block(int line) {
    FilterBlockStmt node;
    KEEL_ASSIGN_OR_RETURN(node.filter, expect_name());
    if (at_operator("(")) return Error{"unsupported filter arguments in '{% filter %}' at line " + std::to_string(line)};
    KEEL_TRY(expect_block_end());
    KEEL_ASSIGN_OR_RETURN(Body body, parse_body({"endfilter"}));
    KEEL_TRY(expect_block_end());
    node.body = std::move(body.statements);
    return make_statement(std::move(node), line);
  }

  int loop_depth_ = 0;
};

}  // namespace

Result<StatementList> parse_template(const std::string& source) {
  KEEL_ASSIGN_OR_RETURN(auto tokens, tokenize(source));
  Parser parser(std::move(tokens));
  return parser.parse_all();
}

}  // namespace keel::jinja
