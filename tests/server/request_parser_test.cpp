// The edge's validation: every malformed or out-of-range body is a 400
// naming the field; well-formed bodies come out normalised.
#include <gtest/gtest.h>

#include "grammar/gbnf_parser.h"
#include "grammar/grammar_matcher.h"
#include "server/request_parser.h"

namespace keel::server {
namespace {

ApiError chat_error(const std::string& body) {
  auto parsed = parse_completion_request(Endpoint::kChat, body, RequestLimits{});
  EXPECT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
  return std::holds_alternative<ApiError>(parsed) ? std::get<ApiError>(parsed) : ApiError{};
}

TEST(RequestParser, ValidChatIsNormalised) {
  auto parsed = parse_completion_request(
      Endpoint::kChat,
      R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
          "max_tokens":5,"temperature":0.5,"stop":"x","n":2,"seed":-1,"logprobs":true,"top_logprobs":3,
          "stream":true,"stream_options":{"include_usage":true}})",
      RequestLimits{});
  ASSERT_TRUE(std::holds_alternative<CompletionRequest>(parsed));
  const auto& r = std::get<CompletionRequest>(parsed);
  EXPECT_EQ(r.messages[0]["content"], "ab");
  EXPECT_EQ(*r.max_tokens, 5);
  EXPECT_EQ(r.n, 2);
  EXPECT_EQ(r.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(r.sampling.top_logprobs, 3);
  EXPECT_TRUE(r.include_usage);
  EXPECT_TRUE(r.seed_given);
}

TEST(RequestParser, PromptForms) {
  for (const char* body : {R"({"prompt":"hi"})", R"({"prompt":["a","b"]})", R"({"prompt":[1,2,3]})",
                           R"({"prompt":[[1],[2,3]]})"}) {
    auto parsed = parse_completion_request(Endpoint::kCompletions, body, RequestLimits{});
    EXPECT_TRUE(std::holds_alternative<CompletionRequest>(parsed)) << body;
  }
}

struct BadCase {
  const char* body;
  const char* param;
};

TEST(RequestParser, BadInputsNameTheField) {
  const BadCase cases[] = {
      {R"({"messages":[]})", "messages"},
      {R"({"messages":"hi"})", "messages"},
      {R"({})", "messages"},
      {R"({"messages":[{"role":"wizard","content":"x"}]})", "messages[0].role"},
      {R"({"messages":[{"role":"user"}]})", "messages[0].content"},
      {R"({"messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "messages[0].content[0].type"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":-1})", "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":"5"})", "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1e30})", "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1.5})", "max_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature"},
      {R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_p":0})", "top_p"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_k":-2})", "top_k"},
      {R"({"messages":[{"role":"user","content":"x"}],"min_p":2})", "min_p"},
      {R"({"messages":[{"role":"user","content":"x"}],"presence_penalty":9})", "presence_penalty"},
      {R"({"messages":[{"role":"user","content":"x"}],"frequency_penalty":-9})", "frequency_penalty"},
      {R"({"messages":[{"role":"user","content":"x"}],"repetition_penalty":0})", "repetition_penalty"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":10000})", "n"},
      {R"({"messages":[{"role":"user","content":"x"}],"n":0})", "n"},
      {R"({"messages":[{"role":"user","content":"x"}],"seed":"x"})", "seed"},
      {R"({"messages":[{"role":"user","content":"x"}],"seed":99999999999999999999})", "seed"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":5})", "stop"},
      {R"({"messages":[{"role":"user","content":"x"}],"stop":[""]})", "stop[0]"},
      {R"({"messages":[{"role":"user","content":"x"}],"logprobs":1})", "logprobs"},
      {R"({"messages":[{"role":"user","content":"x"}],"top_logprobs":3})", "top_logprobs"},
      {R"({"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":50})", "top_logprobs"},
      {R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
      {R"({"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})", "stream_options"},
      {R"({"messages":[{"role":"user","content":"x"}],"min_tokens":9,"max_tokens":2})", "min_tokens"},
      {R"({"messages":[{"role":"user","content":"x"}],"ignore_eos":1})", "ignore_eos"},
  };
  for (const auto& c : cases) {
    ApiError error = chat_error(c.body);
    EXPECT_EQ(error.status, 400) << c.body;
    EXPECT_EQ(error.param, c.param) << c.body << " -> " << error.message;
  }
}

TEST(RequestParser, MalformedJson) {
  for (std::string body : {std::string("{"), std::string("[1,2]"), std::string("nul"), std::string(""),
                           std::string("{\"messages\": \"\xff\xfe\"}"), std::string("{\"a\":1}}")}) {
    auto parsed = parse_completion_request(Endpoint::kChat, body, RequestLimits{});
    ASSERT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
    EXPECT_EQ(std::get<ApiError>(parsed).status, 400);
  }
}

TEST(RequestParser, CompletionBadPrompts) {
  for (const char* body : {R"({})", R"({"prompt":5})", R"({"prompt":[]})", R"({"prompt":[-1]})",
                           R"({"prompt":[[]]})", R"({"prompt":"x","logprobs":true})", R"({"prompt":"x","echo":true})"}) {
    auto parsed = parse_completion_request(Endpoint::kCompletions, body, RequestLimits{});
    EXPECT_TRUE(std::holds_alternative<ApiError>(parsed)) << body;
  }
}

TEST(RequestParser, NestingDepthIsBounded) {
  // Deep nesting is refused before anything walks it recursively ...
  const std::string deep = "{\"prompt\": " + std::string(100, '[') + std::string(100, ']') + "}";
  auto parsed = parse_json_object(deep);
  ASSERT_TRUE(std::holds_alternative<ApiError>(parsed));
  EXPECT_NE(std::get<ApiError>(parsed).message.find("deeper"), std::string::npos);
  // ... while brackets inside strings (escaped quotes included) do not count.
  const std::string in_string = "{\"prompt\": \"\\\"" + std::string(100, '[') + "\"}";
  EXPECT_TRUE(std::holds_alternative<nlohmann::json>(parse_json_object(in_string))) << in_string;
}

}  // namespace
}  // namespace keel::server

namespace keel::server {
namespace {

CompletionRequest chat_ok(const std::string& body) {
  auto parsed = parse_completion_request(Endpoint::kChat, body, RequestLimits{});
  EXPECT_TRUE(std::holds_alternative<CompletionRequest>(parsed))
      << (std::holds_alternative<ApiError>(parsed) ? std::get<ApiError>(parsed).message : "") << "\n" << body;
  return std::holds_alternative<CompletionRequest>(parsed) ? std::get<CompletionRequest>(parsed) : CompletionRequest{};
}

// Issue 15: tools keep the client's key order (templates render them as
// transformers does); tool_choice and response_format are checked.
TEST(RequestParser, ToolsAndToolChoice) {
  const auto r = chat_ok(R"({"messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"z":{},"a":{}}}}}],
      "tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false})");
  ASSERT_EQ(r.tools.size(), 1u);
  EXPECT_EQ(r.tools[0].name, "f");
  EXPECT_EQ(r.tools[0].parameters["properties"].begin().key(), "z");  // not sorted
  EXPECT_EQ(r.template_extras["tools"][0]["type"], "function");
  EXPECT_EQ(r.tool_choice, ToolChoice::kNamed);
  EXPECT_FALSE(r.parallel_tool_calls);

  const std::string ask = R"({"messages":[{"role":"user","content":"x"}],)";
  const std::string tools = R"("tools":[{"type":"function","function":{"name":"f"}}],)";
  EXPECT_EQ(chat_error(ask + tools + R"("tool_choice":{"type":"function","function":{"name":"g"}}})").param, "tool_choice");
  EXPECT_EQ(chat_error(ask + R"("tool_choice":"required"})").param, "tool_choice");
  EXPECT_EQ(chat_error(ask + tools + R"("tool_choice":"always"})").param, "tool_choice");
  EXPECT_EQ(chat_error(ask + R"("tools":[{"type":"function","function":{}}]})").param, "tools[0].function.name");
  EXPECT_EQ(chat_error(ask + R"("tools":[{"type":"retrieval"}]})").param, "tools[0]");
  EXPECT_EQ(chat_error(ask + tools + R"("parallel_tool_calls":1})").param, "parallel_tool_calls");
}

TEST(RequestParser, ResponseFormat) {
  const std::string ask = R"({"messages":[{"role":"user","content":"x"}],)";
  EXPECT_TRUE(chat_ok(ask + R"("response_format":{"type":"text"}})").grammar_text.empty());
  EXPECT_NE(chat_ok(ask + R"("response_format":{"type":"json_object"}})").grammar_text.find("json-object"), std::string::npos);
  // The schema's properties in the client's order: "b" before "a".
  const std::string gbnf = chat_ok(ask + R"("response_format":{"type":"json_schema","json_schema":{"name":"s",
      "schema":{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}},"required":["b","a"]}}}})")
                               .grammar_text;
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(std::string(1, static_cast<char>(b)));
  const auto grammar = grammar::CompiledGrammar::compile(grammar::parse_gbnf(gbnf).value(),
                                                         std::make_shared<grammar::Vocabulary>(bytes)).value();
  const auto matches = [&](const std::string& text) {
    grammar::GrammarMatcher matcher(grammar);
    grammar::MatcherScratch scratch(256, 1);
    for (const char c : text)
      if (!matcher.accept(std::string(1, c), scratch)) return false;
    return matcher.can_end();
  };
  EXPECT_TRUE(matches(R"({"b": "x", "a": 1})"));
  EXPECT_FALSE(matches(R"({"a": 1, "b": "x"})"));
  EXPECT_EQ(chat_ok(ask + R"("response_format":{"type":"grammar","grammar":"root ::= \"a\""}})").grammar_text,
            "root ::= \"a\"");
  for (const char* bad : {R"("response_format":"json"})", R"("response_format":{"type":"xml"}})",
                          R"("response_format":{"type":"json_schema"}})",
                          R"("response_format":{"type":"json_schema","json_schema":{"schema":{"type":"string","pattern":"a"}}}})",
                          R"("response_format":{"type":"grammar","grammar":""}})"}) {
    const ApiError error = chat_error(ask + bad);
    EXPECT_EQ(error.status, 400) << bad;
    EXPECT_EQ(error.param, "response_format") << bad;
  }
}

// OpenAI clients send a call's arguments as a JSON string; the templates get the object.
TEST(RequestParser, ToolCallArgumentsReachTheTemplateAsObjects) {
  const auto r = chat_ok(R"({"messages":[{"role":"user","content":"x"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function",
        "function":{"name":"f","arguments":"{\"z\": 1, \"a\": [2]}"}}]},
      {"role":"tool","tool_call_id":"c","content":"ok"}]})");
  const auto& arguments = r.messages[1]["tool_calls"][0]["function"]["arguments"];
  ASSERT_TRUE(arguments.is_object());
  EXPECT_EQ(arguments.begin().key(), "z");
  EXPECT_EQ(arguments["a"][0], 2);
}

}  // namespace
}  // namespace keel::server
