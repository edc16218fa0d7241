// What tool_choice "required" or a named function lets a model write is
// always a call the same format parses, of an offered tool, with the
// schema's required arguments: random walks through the grammar's allowed
// tokens, over a vocabulary of bytes and pieces of calls.
#include "tool_calls/tool_choice_grammar.h"

#include <random>

#include <gtest/gtest.h>

#include "grammar/compiled_grammar.h"
#include "grammar/gbnf_parser.h"
#include "grammar/grammar_matcher.h"
#include "tool_calls/tool_call_stream.h"

namespace keel::tool_calls {
namespace {

std::shared_ptr<const grammar::Vocabulary> vocabulary() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
  for (const char* piece : {"<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>",
                            "get_weather", "get_time", "\"name\": ", "\"arguments\": ", "\"parameters\": ", "\n", "{\"",
                            "\":", "\",", "\"}", "city", "Paris", "; ", "}}", "123"})
    tokens.push_back(piece);
  return std::make_shared<grammar::Vocabulary>(tokens);
}

std::vector<ToolSpec> tools() {
  return {ToolSpec{"get_weather", nlohmann::ordered_json::parse(
                                      R"({"type":"object","properties":{"city":{"type":"string","maxLength":6},
                                          "unit":{"enum":["c","f"]},"days":{"type":"integer"}},"required":["city","unit"]})")},
          ToolSpec{"get_time", nlohmann::ordered_json::parse(R"({"type":"object","properties":{}})")}};
}

// Walks the grammar choosing random allowed tokens; returns the text once it may end.
std::string random_walk(const std::shared_ptr<const grammar::CompiledGrammar>& g, std::mt19937& rng) {
  grammar::GrammarMatcher matcher(g);
  grammar::MatcherScratch scratch(g->vocabulary().size(), g->vocabulary().longest());
  std::string text;
  for (int step = 0; step < 600; ++step) {
    const bool may_end = matcher.allowed_tokens(scratch);
    std::vector<int32_t> choices;
    for (int32_t id = 0; id < g->vocabulary().size(); ++id)
      if ((scratch.allowed[static_cast<size_t>(id) / 64] >> (id % 64)) & 1) choices.push_back(id);
    if (may_end && (choices.empty() || rng() % 2 == 0)) return text;
    if (choices.empty()) return "<stuck>" + text;
    // Favour multi-byte pieces, so that walks finish.
    int32_t pick = choices[rng() % choices.size()];
    for (const int32_t id : choices)
      if (id >= 256 && rng() % 3 == 0) pick = id;
    EXPECT_TRUE(matcher.accept(g->vocabulary().bytes(pick), scratch));
    text += g->vocabulary().bytes(pick);
  }
  return "<unfinished>" + text;
}

TEST(ToolChoiceGrammar, EveryFormatsForcedCallsParse) {
  const auto vocab = vocabulary();
  std::mt19937 rng(21);
  for (const char* name : {"hermes", "glm45", "glm4", "llama3_json"}) {
    const auto format = make_tool_call_format(name);
    for (const std::optional<std::string>& named : {std::optional<std::string>(), std::optional<std::string>("get_weather")}) {
      const auto gbnf = tool_choice_gbnf(*format, tools(), named, true);
      ASSERT_TRUE(gbnf.ok()) << gbnf.error().message;
      EXPECT_TRUE(gbnf->loose_tools.empty());
      auto parsed = grammar::parse_gbnf(gbnf->gbnf);
      ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error().message << "\n" << gbnf->gbnf;
      const auto compiled = grammar::CompiledGrammar::compile(std::move(parsed).value(), vocab).value();
      int finished = 0;
      for (int walk = 0; walk < 20; ++walk) {
        const std::string text = random_walk(compiled, rng);
        if (text.starts_with("<unfinished>")) continue;
        ASSERT_FALSE(text.starts_with("<stuck>")) << text;
        ++finished;
        ToolCallStream stream(*format, tools());
        const std::string content = stream.push(text);
        const SplitOutput out = stream.finish();
        ASSERT_FALSE(out.calls.empty()) << name << ": " << out.malformed << "\n" << text;
        EXPECT_EQ(content + out.content, "") << name << "\n" << text;
        for (const ToolCall& call : out.calls) {
          if (named) {
            EXPECT_EQ(call.name, *named);
          }
          const auto arguments = nlohmann::json::parse(call.arguments);
          if (call.name == "get_weather") {
            EXPECT_TRUE(arguments.contains("city") && arguments["city"].is_string()) << name << " " << call.arguments;
            EXPECT_TRUE(arguments.contains("unit") && (arguments["unit"] == "c" || arguments["unit"] == "f")) << call.arguments;
            if (arguments.contains("days")) {
              EXPECT_TRUE(arguments["days"].is_number_integer()) << call.arguments;
            }
          }
        }
        if (named) {
          EXPECT_EQ(out.calls.size(), 1u);
        }
      }
      EXPECT_GE(finished, 5) << name;
    }
  }
}

TEST(ToolChoiceGrammar, ANamedToolMustExist) {
  const auto format = make_tool_call_format("hermes");
  const auto gbnf = tool_choice_gbnf(*format, tools(), std::string("launch"), true);
  ASSERT_FALSE(gbnf.ok());
  EXPECT_NE(gbnf.error().message.find("'launch'"), std::string::npos);
}

TEST(ToolChoiceGrammar, AnUnsupportedSchemaFallsBackToAnyObject) {
  const auto format = make_tool_call_format("hermes");
  std::vector<ToolSpec> loose = {ToolSpec{"f", nlohmann::ordered_json::parse(R"({"type":"object","properties":{"x":{"type":"string","pattern":"a+"}}})")}};
  const auto gbnf = tool_choice_gbnf(*format, loose, std::nullopt, false);
  ASSERT_TRUE(gbnf.ok());
  ASSERT_EQ(gbnf->loose_tools.size(), 1u);
  EXPECT_NE(gbnf->loose_tools[0].find("'pattern'"), std::string::npos);
}

}  // namespace
}  // namespace keel::tool_calls
