// Each format parses what the real chat templates render for an assistant
// turn with a call (tests/golden/templates/expected, rendered by jinja2),
// refuses what is not a call, and streams content without ever showing a
// call's text.
#include "tool_calls/tool_call_format.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tool_calls/tool_call_stream.h"

namespace keel::tool_calls {
namespace {

std::vector<ToolSpec> weather_tools() {
  ToolSpec weather{"get_weather", nlohmann::ordered_json::parse(
                                      R"({"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"},
                                          "days":{"type":"integer"}},"required":["city"]})")};
  ToolSpec time{"get_time", nlohmann::ordered_json::parse(R"({"type":"object","properties":{"zone":{"type":"string"}}})")};
  return {weather, time};
}

std::string golden(const std::string& name) {
  std::ifstream in(std::string(KEEL_SOURCE_DIR) + "/tests/golden/templates/expected/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The assistant's call as the template rendered it: from the last `begin`
// (the first may be the format's description in the system prompt) to the end of `end`.
std::string between(const std::string& text, const std::string& begin, const std::string& end) {
  const size_t a = text.rfind(begin);
  const size_t b = text.find(end, a);
  EXPECT_NE(a, std::string::npos);
  EXPECT_NE(b, std::string::npos);
  return text.substr(a, b + end.size() - a);
}

SplitOutput parse_all(std::string_view format_name, const std::string& output) {
  const auto format = make_tool_call_format(format_name);
  ToolCallStream stream(*format, weather_tools());
  SplitOutput out;
  out.content = stream.push(output);
  SplitOutput rest = stream.finish();
  out.content += rest.content;
  out.calls = rest.calls;
  out.malformed = rest.malformed;
  return out;
}

TEST(ToolCallFormat, ParsesTheCallsTheTemplatesRender) {
  const std::string qwen = between(golden("Qwen-Qwen2.5-7B-Instruct__tool_call_and_result.txt"), "<tool_call>", "</tool_call>");
  const std::string glm = between(golden("GLM-4.6__tool_call_and_result.txt"), "<tool_call>", "</tool_call>");
  const std::string llama =
      between(golden("meta-llama-Llama-3.1-8B-Instruct__tool_call_and_result.txt"), "{\"name\": \"get_weather\"", "}}");
  for (const auto& [format, text] : {std::pair{"hermes", qwen}, std::pair{"glm45", glm}, std::pair{"llama3_json", llama}}) {
    const SplitOutput out = parse_all(format, text);
    ASSERT_EQ(out.calls.size(), 1u) << format << ": " << out.malformed << "\n" << text;
    EXPECT_EQ(out.calls[0].name, "get_weather");
    EXPECT_EQ(nlohmann::json::parse(out.calls[0].arguments), nlohmann::json::parse(R"({"city":"Paris","unit":"celsius"})"))
        << format;
    EXPECT_EQ(out.content, "") << format;
  }
}

TEST(ToolCallFormat, ContentBeforeCallsAndSeveralCalls) {
  const SplitOutput hermes = parse_all("hermes",
                                       "Let me check.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>\n"
                                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}\n</tool_call>");
  ASSERT_EQ(hermes.calls.size(), 2u) << hermes.malformed;
  EXPECT_EQ(hermes.content, "Let me check.\n");
  EXPECT_EQ(hermes.calls[1].arguments, R"({"city":"Oslo"})");

  // GLM-4.5: a string parameter keeps its text; others are read as JSON.
  const SplitOutput glm = parse_all("glm45",
                                    "<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>42</arg_value>\n"
                                    "<arg_key>days</arg_key>\n<arg_value>3</arg_value>\n</tool_call>");
  ASSERT_EQ(glm.calls.size(), 1u) << glm.malformed;
  EXPECT_EQ(glm.calls[0].arguments, R"({"city":"42","days":3})");

  const SplitOutput glm4 = parse_all("glm4", "get_weather\n{\"city\": \"Rome\", \"days\": 2}");
  ASSERT_EQ(glm4.calls.size(), 1u) << glm4.malformed;
  EXPECT_EQ(glm4.calls[0].arguments, R"({"city":"Rome","days":2})");

  const SplitOutput llama = parse_all("llama3_json", R"({"name": "get_time", "parameters": {}}; {"name": "get_weather", "parameters": {"city": "Lima"}})");
  ASSERT_EQ(llama.calls.size(), 2u) << llama.malformed;
}

TEST(ToolCallFormat, MalformedCallsComeBackAsContent) {
  for (const auto& [format, text] : {std::pair{"hermes", std::string("<tool_call>\n{\"name\": \"get_weather\", \"arg")},
                                     std::pair{"hermes", std::string("<tool_call>{\"name\": \"launch_rockets\"}</tool_call>")},
                                     std::pair{"glm45", std::string("<tool_call>get_weather\n<arg_key>city</arg_key>")},
                                     std::pair{"glm4", std::string("get_weather\nnot json")},
                                     std::pair{"llama3_json", std::string("{\"name\": 3}")}}) {
    const SplitOutput out = parse_all(format, text);
    EXPECT_TRUE(out.calls.empty()) << format;
    EXPECT_EQ(out.content, text) << format;
    EXPECT_FALSE(out.malformed.empty()) << format;
  }
  // Plain answers are content, with nothing to report.
  for (const char* format : {"hermes", "glm45", "glm4", "llama3_json"}) {
    const SplitOutput out = parse_all(format, "The weather is fine. {no call}");
    EXPECT_TRUE(out.calls.empty());
    EXPECT_EQ(out.content, "The weather is fine. {no call}");
    EXPECT_EQ(out.malformed, "") << format;
  }
}

// Fed a byte at a time, a stream releases content at once, holds a
// possible call's opening, and never releases any byte of a call.
TEST(ToolCallStream, HoldsBackOnlyWhatMayBeACall) {
  const auto format = make_tool_call_format("hermes");
  ToolCallStream stream(*format, weather_tools());
  const std::string output = "Sure <tool <tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
  std::string released;
  for (const char c : output) {
    released += stream.push(std::string(1, c));
    EXPECT_EQ(released.find("<tool_call>"), std::string::npos);
  }
  EXPECT_EQ(released, "Sure <tool ");
  const SplitOutput rest = stream.finish();
  ASSERT_EQ(rest.calls.size(), 1u);
  EXPECT_EQ(rest.content, "");
}

TEST(ToolCallFormat, TheFormatComesFromTheTemplate) {
  std::ifstream glm(std::string(KEEL_SOURCE_DIR) + "/../shared/testdata/templates/GLM-4.6.jinja");
  std::stringstream text;
  text << glm.rdbuf();
  if (text.str().empty()) GTEST_SKIP() << "no ../shared/testdata next to the repository";
  EXPECT_EQ(format_for_template(text.str()), "glm45");
  EXPECT_EQ(format_for_template("{% for m in messages %}<tool_call>{% endfor %}"), "hermes");
  EXPECT_EQ(format_for_template("{{ '<|python_tag|>' }}"), "llama3_json");
  EXPECT_EQ(format_for_template("{{ messages }}"), "");
}

}  // namespace
}  // namespace keel::tool_calls
