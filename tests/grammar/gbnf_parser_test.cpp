#include "grammar/gbnf_parser.h"

#include <gtest/gtest.h>

namespace keel::grammar {
namespace {

std::string error_of(std::string_view text) {
  auto grammar = parse_gbnf(text);
  return grammar.ok() ? "" : grammar.error().message;
}

TEST(GbnfParser, ParsesRulesOverSeveralLinesWithCommentsAndRepetitions) {
  const auto grammar = parse_gbnf(R"(# a comment
root ::= "a" item{2,3}
   | ( "b" | [c-e] )+ .?   # alternatives continue on the next line
item ::= [^x\n] "\u00e9"
)");
  ASSERT_TRUE(grammar.ok()) << grammar.error().message;
}

TEST(GbnfParser, ErrorsNameTheProblem) {
  EXPECT_NE(error_of("item ::= \"a\"").find("no 'root' rule"), std::string::npos);
  EXPECT_NE(error_of("root ::= missing").find("'missing' but never defines it"), std::string::npos);
  EXPECT_NE(error_of("root ::= root \"a\" | \"b\"").find("left-recursive"), std::string::npos);
  EXPECT_NE(error_of("root ::= x\nx ::= \"\"? root").find("left-recursive"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"abc").find("unterminated literal"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"\\q\"").find("unknown escape"), std::string::npos);
  EXPECT_NE(error_of("root ::= [z-a]").find("backwards"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\"{3,1}").find("n < m"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\"{999999}").find("too large"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\"\nroot ::= \"b\"").find("defined twice"), std::string::npos);
  EXPECT_NE(error_of("root ::= ( \"a\"").find("expected ')'"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\" )").find("')' without '('"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\"").size(), 1u);  // valid: empty error
  EXPECT_EQ(error_of("root ::= \"a\""), "");
  EXPECT_NE(error_of("root ::= [^\\x00-\\U0010FFFF]").find("matches nothing"), std::string::npos);
  EXPECT_NE(error_of("root ::= \"a\" $").find("line 1 column 14"), std::string::npos);
}

}  // namespace
}  // namespace keel::grammar
