// Error paths and small semantics of the Jinja interpreter: unsupported
// syntax is reported with its line, raise_exception surfaces its message,
// and runaway templates stop at documented limits instead of crashing.
#include <gtest/gtest.h>

#include "chat_template/chat_template.h"

namespace keel {
namespace {

std::string render_ok(const std::string& source, nlohmann::ordered_json variables = nlohmann::ordered_json::object()) {
  auto tmpl = ChatTemplate::parse(source);
  EXPECT_TRUE(tmpl.ok()) << (tmpl.ok() ? "" : tmpl.error().message);
  if (!tmpl.ok()) return "<parse error>";
  auto rendered = tmpl->render(variables);
  EXPECT_TRUE(rendered.ok()) << (rendered.ok() ? "" : rendered.error().message);
  return rendered.ok() ? *rendered : "<render error>";
}

std::string render_error(const std::string& source) {
  auto tmpl = ChatTemplate::parse(source);
  if (!tmpl.ok()) return tmpl.error().message;
  auto rendered = tmpl->render(nlohmann::ordered_json::object());
  EXPECT_FALSE(rendered.ok()) << "rendered: " << *rendered;
  return rendered.ok() ? "" : rendered.error().message;
}

TEST(ChatTemplate, WhitespaceMatchesHfEnvironment) {
  EXPECT_EQ(render_ok("{% if true %}\n  A\n{% endif %}\nB\n"), "  A\nB");
  EXPECT_EQ(render_ok("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(render_ok("x {{ 1 }}\n{# note #}\ny"), "x 1\ny");
}

TEST(ChatTemplate, UnsupportedTagNamesConstructAndLine) {
  auto tmpl = ChatTemplate::parse("line one\n{% include 'other.jinja' %}");
  ASSERT_FALSE(tmpl.ok());
  EXPECT_NE(tmpl.error().message.find("include"), std::string::npos) << tmpl.error().message;
  EXPECT_NE(tmpl.error().message.find("line 2"), std::string::npos) << tmpl.error().message;
}

TEST(ChatTemplate, UnsupportedFilterIsARenderError) {
  std::string message = render_error("{{ 'x' | frobnicate }}");
  EXPECT_NE(message.find("frobnicate"), std::string::npos) << message;
}

TEST(ChatTemplate, UnclosedBlockIsAParseError) {
  auto tmpl = ChatTemplate::parse("{% for m in messages %}{{ m }}");
  ASSERT_FALSE(tmpl.ok());
  EXPECT_NE(tmpl.error().message.find("endfor"), std::string::npos) << tmpl.error().message;
  EXPECT_FALSE(ChatTemplate::parse("{{ 'unterminated }}").ok());
  EXPECT_FALSE(ChatTemplate::parse("{% if x %}").ok());
  EXPECT_FALSE(ChatTemplate::parse("{{ x ").ok());
}

TEST(ChatTemplate, RaiseExceptionMessageIsReturnedUnchanged) {
  EXPECT_EQ(render_error("before{{ raise_exception('Conversation roles must alternate!') }}"),
            "Conversation roles must alternate!");
}

TEST(ChatTemplate, DeepRecursionStopsAtTheCallDepthLimit) {
  std::string message = render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_NE(message.find("depth"), std::string::npos) << message;
}

TEST(ChatTemplate, DeepNestingInSourceIsAParseErrorNotACrash) {
  std::string source = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  EXPECT_FALSE(ChatTemplate::parse(source).ok());
  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "{% if true %}";
  EXPECT_FALSE(ChatTemplate::parse(blocks).ok());
}

TEST(ChatTemplate, RunawayLoopsStopAtTheWorkLimit) {
  std::string message = render_error(
      "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}");
  EXPECT_NE(message.find("limit"), std::string::npos) << message;
}

TEST(ChatTemplate, UndefinedSemantics) {
  EXPECT_EQ(render_ok("[{{ missing }}]{{ missing is defined }}{{ {}.y }}"), "[]False");
  EXPECT_NE(render_error("{{ missing.y }}").find("'missing' is undefined"), std::string::npos);
}

TEST(ChatTemplate, PythonPrintingAndJson) {
  nlohmann::ordered_json variables = {{"d", {{"z", 1}, {"a", {true, nullptr, "é"}}}}};
  EXPECT_EQ(render_ok("{{ d }} {{ d | tojson }}", variables),
            "{'z': 1, 'a': [True, None, 'é']} {\"z\": 1, \"a\": [true, null, \"é\"]}");
}

}  // namespace
}  // namespace keel
