// The edge's validation: every malformed or out-of-range body is a 400
// naming the field; well-formed bodies come out normalised.
#include <gtest/gtest.h>

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
