// Regression tests for what fuzzing the chat template parser and evaluator
// found (tests/fuzz/fuzz_chat_template.cpp): templates that crashed, hit
// undefined behaviour, leaked, overflowed the stack or ran without bound.
// Each must now render correctly or fail with an Error that says why.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "chat_template/chat_template.h"

namespace keel {
namespace {

std::string render_ok(const std::string& source) {
  auto tmpl = ChatTemplate::parse(source);
  EXPECT_TRUE(tmpl.ok()) << (tmpl.ok() ? "" : tmpl.error().message);
  if (!tmpl.ok()) return "<parse error>";
  auto rendered = tmpl->render(nlohmann::ordered_json::object());
  EXPECT_TRUE(rendered.ok()) << (rendered.ok() ? "" : rendered.error().message);
  return rendered.ok() ? *rendered : "<render error>";
}

// The message of the parse or render error; "" (and a failure) if none.
std::string error_of(const std::string& source) {
  auto tmpl = ChatTemplate::parse(source);
  if (!tmpl.ok()) return tmpl.error().message;
  auto rendered = tmpl->render(nlohmann::ordered_json::object());
  EXPECT_FALSE(rendered.ok()) << "rendered: " << rendered->substr(0, 200);
  return rendered.ok() ? "" : rendered.error().message;
}

#define EXPECT_ERROR_MENTIONS(source, fragment)                                   \
  do {                                                                            \
    const std::string message = error_of(source);                                 \
    EXPECT_NE(message.find(fragment), std::string::npos) << (source) << "\n -> " << message; \
  } while (false)

// Found by the fuzzer: std::stoll threw std::out_of_range out of the parser.
TEST(HostileTemplate, AttributeIndexTooLargeForInt64IsAParseError) {
  EXPECT_ERROR_MENTIONS("{{ x.99999999999999999999 }}", "integer literal out of range");
  EXPECT_EQ(render_ok("{% set x = ['a', 'b'] %}{{ x.1 }}"), "b");
}

TEST(HostileTemplate, IntegerOverflowIsAnErrorNotUndefinedBehaviour) {
  EXPECT_ERROR_MENTIONS("{{ 9223372036854775807 + 1 }}", "integer overflow in +");
  EXPECT_ERROR_MENTIONS("{{ -9223372036854775807 - 2 }}", "integer overflow in -");
  EXPECT_ERROR_MENTIONS("{{ 4294967296 * 4294967296 }}", "integer overflow in *");
  EXPECT_ERROR_MENTIONS("{% set m = -9223372036854775807 - 1 %}{{ m // -1 }}", "integer overflow in //");
  EXPECT_ERROR_MENTIONS("{% set m = -9223372036854775807 - 1 %}{{ -m }}", "integer overflow in unary -");
  EXPECT_ERROR_MENTIONS("{% set m = -9223372036854775807 - 1 %}{{ m | abs }}", "integer overflow");
  EXPECT_ERROR_MENTIONS("{{ [9223372036854775807, 1] | sum }}", "integer overflow");
  // Python's results where they fit, INT64_MIN % -1 (a trap in C++) included.
  EXPECT_EQ(render_ok("{% set m = -9223372036854775807 - 1 %}{{ m % -1 }} {{ m is divisibleby(-1) }} {{ m }}"),
            "0 True -9223372036854775808");
  EXPECT_EQ(render_ok("{{ -7 // 2 }} {{ -7 % 2 }} {{ 7 % -2 }} {{ [1, 2.5] | sum }} {{ -3 | abs }}"), "-4 1 -1 3.5 3");
}

TEST(HostileTemplate, FloatToIntOutsideInt64IsAnError) {
  EXPECT_ERROR_MENTIONS("{{ 1e300 | int }}", "does not fit in a 64-bit integer");
  EXPECT_ERROR_MENTIONS("{{ '1e300' | int }}", "does not fit in a 64-bit integer");
  EXPECT_ERROR_MENTIONS("{{ (1e308 * 10) | int }}", "does not fit in a 64-bit integer");
  EXPECT_EQ(render_ok("{{ -2.9 | int }} {{ ' 42.7 ' | int }} {{ 'x' | int(7) }}"), "-2 42 7");
}

TEST(HostileTemplate, StepsNearTheInt64LimitEndRangesAndSlices) {
  EXPECT_EQ(render_ok("{{ range(9223372036854775800, 9223372036854775807, 100) | list }}"), "[9223372036854775800]");
  EXPECT_EQ(render_ok("{{ range(-9223372036854775800, -9223372036854775807, -100) | list }}"),
            "[-9223372036854775800]");
  EXPECT_EQ(render_ok("{{ 'abc'[2::9223372036854775807] }} {{ [1, 2, 3][1::9223372036854775807] }}"), "c [2]");
}

TEST(HostileTemplate, RepetitionIsBoundedBeforeItIsBuilt) {
  // The size check used to wrap around (4 * 2^62 == 0) and an empty string
  // was appended 2^63 times.
  EXPECT_ERROR_MENTIONS("{{ 'abcd' * 4611686018427387904 }}", "repetition too large");
  EXPECT_ERROR_MENTIONS("{{ (range(100000) | list) * 600 }}", "repetition too large");
  EXPECT_EQ(render_ok("[{{ '' * 9223372036854775807 }}]{{ [] * 9223372036854775807 }}"), "[][]");
  EXPECT_EQ(render_ok("{{ 'ab' * 3 }} {{ [1] * 2 }} {{ 'x' * -1 }}{{ [1] * 0 }}"), "ababab [1, 1] []");
}

// A namespace stored in itself was a reference cycle, reported as a leak.
TEST(HostileTemplate, NamespaceCannotHoldANamespace) {
  EXPECT_ERROR_MENTIONS("{% set ns = namespace(a=1) %}{% set ns.b = ns %}", "cannot store a namespace");
  EXPECT_ERROR_MENTIONS("{% set ns = namespace(a=1) %}{% set ns.b = [{'x': ns}] %}", "cannot store a namespace");
  EXPECT_EQ(render_ok("{% set ns = namespace(a=1) %}{% set ns.a = [ns.a, {'b': 2}] %}{{ ns.a }}"), "[1, {'b': 2}]");
}

// A list holding itself twice doubles its printed size per statement: it
// used to hang while printing and run out of memory.
TEST(HostileTemplate, SharedListsCannotGrowExponentially) {
  EXPECT_ERROR_MENTIONS(
      "{% set ns = namespace(x=1) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}{{ ns.x }}",
      "template value larger than");
  EXPECT_ERROR_MENTIONS(
      "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
      "template value larger than");
}

// A list nested 100000 deep overflowed the stack when it was destroyed.
TEST(HostileTemplate, DeeplyNestedValuesAreRefused) {
  EXPECT_ERROR_MENTIONS(
      "{% set ns = namespace(x=1) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}",
      "nested deeper than");
}

// 1 + 1 + ... is parsed by a loop, but evaluating and destroying the tree
// it builds recurse once per operator.
TEST(HostileTemplate, LongOperatorChainsAreAParseError) {
  std::string chain = "1";
  for (int i = 0; i < 1500; ++i) chain += " + 1";
  EXPECT_ERROR_MENTIONS("{{ " + chain + " }}", "nested too deeply");
  std::string short_chain = "1";
  for (int i = 0; i < 150; ++i) short_chain += " + 1";
  EXPECT_EQ(render_ok("{{ " + short_chain + " }}"), "151");
}

// Macro recursion within its call limit, but through deeply nested blocks and
// expressions, overflowed the stack.
TEST(HostileTemplate, RecursionThroughDeepNestingStopsAtTheNestingLimit) {
  std::string ifs;
  std::string endifs;
  for (int i = 0; i < 95; ++i) {
    ifs += "{% if true %}";
    endifs += "{% endif %}";
  }
  std::string chain = "f(n + 1)";
  for (int i = 0; i < 180; ++i) chain += " ~ 'x'";
  EXPECT_ERROR_MENTIONS("{% macro f(n) %}" + ifs + "{{ " + chain + " }}" + endifs + "{% endmacro %}{{ f(0) }}",
                        "nested deeper than");
}

TEST(HostileTemplate, FilterResultsAreBoundedBeforeTheyAreBuilt) {
  EXPECT_ERROR_MENTIONS("{% set s = 'a' * 1000000 %}{{ s | replace('a', s) | length }}", "result larger than");
  EXPECT_ERROR_MENTIONS("{% set s = 'a' * 1000000 %}{{ range(100) | join(s) | length }}", "result larger than");
  EXPECT_ERROR_MENTIONS("{% set s = 'a' * 1000000 %}{{ s.join(['x'] * 100) | length }}", "result larger than");
  EXPECT_ERROR_MENTIONS("{% set s = 'a\\n' * 1000000 %}{{ s | indent(256) | length }}", "result larger than");
  EXPECT_EQ(render_ok("{{ 'a-b-c' | replace('-', '+', 1) }} {{ 'x\\ny' | indent(2) }}"), "a+b-c x\n  y");
}

// unique compared every item with every kept one: 100000 items took minutes.
TEST(HostileTemplate, UniqueIsLinearAndKeepsTheFirstOfEqualItems) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(render_ok("{{ range(100000) | unique | list | length }}"), "100000");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(render_ok("{{ [1, 1.0, true, 'a', 'a', none, 2.5, none] | unique | list }}"), "[1, 'a', None, 2.5]");
  EXPECT_ERROR_MENTIONS("{{ [[1], [1]] | unique | list }}", "unhashable type: 'list'");
}

TEST(HostileTemplate, SortingFiltersHandleEmptyLists) {
  EXPECT_EQ(render_ok("{{ [] | sort }}{{ [] | unique | list }}{{ {} | dictsort }}"), "[][][]");
}

// Loops whose statements were cheap but whose operators walked large values
// ran for minutes within the step limit; work bytes are counted too.
TEST(HostileTemplate, WorkOnLargeValuesStopsAtTheWorkLimit) {
  EXPECT_ERROR_MENTIONS(
      "{% set s = 'a' * 4000000 %}{% for i in range(100000) %}{% set t = s ~ s %}{% endfor %}",
      "work limit");
  EXPECT_ERROR_MENTIONS(
      "{% set s = 'a' * 4000000 %}{% for i in range(100000) %}{% if s | first %}{% endif %}{% endfor %}",
      "work limit");
  EXPECT_ERROR_MENTIONS(
      "{% set l = range(100000) | list %}{% for i in range(100000) %}{% set t = l | sort %}{% endfor %}",
      "work limit");
}

TEST(HostileTemplate, LimitsCanBeLowered) {
  auto tmpl = ChatTemplate::parse("{% for i in range(1000) %}{{ i }}{% endfor %}");
  ASSERT_TRUE(tmpl.ok());
  jinja::RenderLimits limits;
  limits.max_steps = 100;
  auto rendered = tmpl->render(nlohmann::ordered_json::object(), limits);
  ASSERT_FALSE(rendered.ok());
  EXPECT_NE(rendered.error().message.find("100 steps"), std::string::npos) << rendered.error().message;
  EXPECT_TRUE(tmpl->render(nlohmann::ordered_json::object()).ok());
}

// Strings are still indexed and sliced by code point after indexing stopped
// splitting the whole string for every lookup.
TEST(HostileTemplate, StringIndexingIsByCodePoint) {
  EXPECT_EQ(render_ok("{% set s = 'h\xC3\xA9llo\xF0\x9F\x98\x80' %}{{ s[1] }}|{{ s[-1] }}|{{ s[1:3] }}|{{ s[::-2] }}|{{ s[9] }}|"
                      "{{ s | length }}"),
            "\xC3\xA9|\xF0\x9F\x98\x80|\xC3\xA9l|\xF0\x9F\x98\x80l\xC3\xA9||6");
}

}  // namespace
}  // namespace keel
