#include "grammar/grammar_matcher.h"

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "grammar/json_schema.h"
#include "grammar_test_support.h"

namespace keel::grammar {
namespace {

using testing::accepts;
using testing::compile_gbnf;
using testing::json_vocabulary;

bool allowed(const MatcherScratch& scratch, int32_t id) { return (scratch.allowed[static_cast<size_t>(id) / 64] >> (id % 64)) & 1; }

TEST(GrammarMatcher, MatchesLiteralsClassesAndRepetitions) {
  const auto vocabulary = json_vocabulary(0);
  const auto g = compile_gbnf("root ::= \"a\" [0-9]{2,3} ( \"x\" | \"yz\" )* \"\\u00e9\"?", vocabulary);
  for (const char* yes : {"a12", "a123", "a12x", "a12yzxyz", "a12\xC3\xA9", "a999x\xC3\xA9"}) EXPECT_TRUE(accepts(g, yes)) << yes;
  for (const char* no : {"a1", "a1234", "b12", "a12y", "a12\xC3", "a12\xC3\xA9x", ""}) EXPECT_FALSE(accepts(g, no)) << no;
}

TEST(GrammarMatcher, JsonObjectGrammarAcceptsWhatJsonAccepts) {
  const auto g = compile_gbnf(json_object_gbnf(), json_vocabulary(0));
  for (const char* yes : {"{}", "{ }", R"({"a":1})", R"({"a": [1, 2.5e-3, true, null, {"b": "\u00e9\n"}]})",
                          "{ \"k\": \"caf\xC3\xA9\" }", R"({"a":-0,"b":{}})"})
    EXPECT_TRUE(accepts(g, yes)) << yes;
  for (const char* no : {"[1]", R"({"a":})", R"({"a" 1})", R"({"a":1,})", "{\"a\":\"\x01\"}", "{'a':1}", R"({"a":01})",
                         R"({"a":"\x"})", "{\"a\":\"\xC3\"}", R"({"a":1}})",
                         "{\n  \"a\": 1\n}",  // compact JSON only: at most one space between tokens
                         R"({"a":  1})", R"({"a":1.1234567890123456789012})", R"({"a":1e1234})"})
    EXPECT_FALSE(accepts(g, no)) << no;
}

TEST(GrammarMatcher, RandomJsonValuesRoundTrip) {
  const auto g = compile_gbnf(json_object_gbnf(), json_vocabulary(0));
  std::mt19937 rng(3);
  std::function<nlohmann::json(int)> random_value = [&](int depth) -> nlohmann::json {
    switch (depth > 3 ? rng() % 4 : rng() % 6) {
      case 0: return static_cast<int>(rng() % 2000) - 1000;
      case 1: return std::ldexp(static_cast<double>(rng() % 100000), -static_cast<int>(rng() % 20));
      case 2: return std::string("s\"\\\n\xC3\xA9") + std::to_string(rng() % 10);
      case 3: return rng() % 2 ? nlohmann::json(nullptr) : nlohmann::json(rng() % 2 == 0);
      case 4: {
        nlohmann::json a = nlohmann::json::array();
        for (int i = rng() % 4; i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        nlohmann::json o = nlohmann::json::object();
        for (int i = rng() % 4; i > 0; --i) o["k" + std::to_string(rng() % 100)] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 200; ++i) {
    nlohmann::json object = nlohmann::json::object();
    for (int k = rng() % 4; k > 0; --k) object["key" + std::to_string(k)] = random_value(1);
    EXPECT_TRUE(accepts(g, object.dump())) << object.dump();
  }
}

// The precomputed masks (accepted / undecided per position) must give
// exactly the tokens that a direct match from the full state accepts,
// along random walks through several grammars.
TEST(GrammarMatcher, MaskEqualsADirectCheckOfEveryToken) {
  const auto vocabulary = json_vocabulary(1500);
  const nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 5},
      "tags": {"type": "array", "items": {"enum": ["a", "b\"c", 7]}, "maxItems": 3},
      "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}
    },
    "required": ["name", "next"],
    "$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"}, "n": {"$ref": "#/$defs/node"}}}}
  })");
  const auto schema_gbnf = json_schema_to_gbnf(schema);
  ASSERT_TRUE(schema_gbnf.ok()) << schema_gbnf.error().message;
  const std::string grammars[] = {
      json_object_gbnf(),
      schema_gbnf.value(),
      // Ambiguous on purpose: several stacks at once.
      "root ::= ( \"a\" x | \"a\" y )+\nx ::= [a-c]* \"!\"\ny ::= \"b\"+ \"?\"",
  };
  std::mt19937 rng(11);
  for (const std::string& text : grammars) {
    const auto g = compile_gbnf(text, vocabulary);
    for (int walk = 0; walk < 6; ++walk) {
      GrammarMatcher matcher(g);
      MatcherScratch scratch(vocabulary->size(), vocabulary->longest());
      for (int step = 0; step < 40; ++step) {
        const bool may_end = matcher.allowed_tokens(scratch);
        EXPECT_EQ(may_end, matcher.can_end());
        std::vector<int32_t> choices;
        for (int32_t id = 0; id < vocabulary->size(); ++id) {
          GrammarMatcher copy = matcher;
          MatcherScratch copy_scratch(vocabulary->size(), vocabulary->longest());
          const bool direct = !vocabulary->bytes(id).empty() && copy.accept(vocabulary->bytes(id), copy_scratch);
          ASSERT_EQ(allowed(scratch, id), direct) << "token '" << vocabulary->bytes(id) << "' at step " << step
                                                  << " of grammar\n" << text.substr(0, 200);
          if (direct) choices.push_back(id);
        }
        if (choices.empty() || (may_end && rng() % 8 == 0)) break;
        ASSERT_TRUE(matcher.accept(vocabulary->bytes(choices[rng() % choices.size()]), scratch));
      }
    }
  }
}

TEST(GrammarMatcher, NothingIsAllowedAfterACompleteGrammarThatCannotGoOn) {
  const auto vocabulary = json_vocabulary(100);
  const auto g = compile_gbnf("root ::= \"ok\"", vocabulary);
  GrammarMatcher matcher(g);
  MatcherScratch scratch(vocabulary->size(), vocabulary->longest());
  EXPECT_FALSE(matcher.allowed_tokens(scratch));
  ASSERT_TRUE(matcher.accept("ok", scratch));
  EXPECT_TRUE(matcher.allowed_tokens(scratch));
  for (const uint64_t word : scratch.allowed) EXPECT_EQ(word, 0u);
  EXPECT_FALSE(matcher.accept("o", scratch));
  EXPECT_TRUE(matcher.can_end());
}

}  // namespace
}  // namespace keel::grammar
