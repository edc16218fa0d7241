#include "grammar/json_schema.h"

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "grammar_test_support.h"

namespace keel::grammar {
namespace {

using json = nlohmann::ordered_json;
using testing::accepts;
using testing::compile_gbnf;
using testing::json_vocabulary;

std::string refusal(const char* schema) {
  const auto gbnf = json_schema_to_gbnf(json::parse(schema));
  return gbnf.ok() ? "" : gbnf.error().message;
}

TEST(JsonSchema, RefusesWhatItCannotGuaranteeNamingTheKeyword) {
  EXPECT_NE(refusal(R"({"type":"string","pattern":"^a"})").find("'pattern'"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"string","format":"date"})").find("'format'"), std::string::npos);
  EXPECT_NE(refusal(R"({"oneOf":[{"type":"string"}]})").find("'oneOf'"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"integer","minimum":3})").find("'minimum'"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"object","properties":{"a":{"type":"string","maxLength":65}}})")
                .find("#/properties/a has 'maxLength' above 64"), std::string::npos);
  EXPECT_NE(refusal(R"({"$ref":"http://x/y"})").find("only '#/$defs/NAME'"), std::string::npos);
  EXPECT_NE(refusal(R"({"$ref":"#/$defs/missing"})").find("does not define"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"object","properties":{},"required":["a"]})").find("requires 'a'"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"string","anyOf":[{"type":"string"}]})").find("beside 'anyOf'"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"strin"})").find("unknown type 'strin'"), std::string::npos);
  EXPECT_NE(refusal(R"(false)").find("allows no value"), std::string::npos);
  EXPECT_NE(refusal(R"({"type":"string","items":{}})").find("'items' but type 'string'"), std::string::npos);
  EXPECT_EQ(refusal(R"({"type":"string","description":"a name","title":"Name"})"), "");
}

const char* kPerson = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 8},
    "age": {"type": "integer"},
    "email": {"type": ["string", "null"]},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
    "role": {"enum": ["admin", "user"]},
    "ok": {"const": true}
  },
  "required": ["name", "age", "role"],
  "additionalProperties": false
})";

TEST(JsonSchema, AcceptsValidDocumentsAndRejectsInvalidOnes) {
  const auto gbnf = json_schema_to_gbnf(json::parse(kPerson));
  ASSERT_TRUE(gbnf.ok()) << gbnf.error().message;
  const auto g = compile_gbnf(gbnf.value(), json_vocabulary(0));
  for (const char* yes : {R"({"name":"Ann","age":3,"role":"user"})",
                          R"({"name": "Ann", "age": -3, "email": null, "tags": ["a"], "role": "admin", "ok": true})",
                          R"({"name":"Ann","age":3,"email":"a@b","role":"user"})"})
    EXPECT_TRUE(accepts(g, yes)) << yes;
  for (const char* no : {R"({"age":3,"name":"Ann","role":"user"})",           // order
                         R"({"name":"Ann","role":"user"})",                    // required age
                         R"({"name":"","age":3,"role":"user"})",               // minLength
                         R"({"name":"123456789","age":3,"role":"user"})",      // maxLength
                         R"({"name":"Ann","age":3.5,"role":"user"})",          // integer
                         R"({"name":"Ann","age":3,"role":"root"})",            // enum
                         R"({"name":"Ann","age":3,"tags":[],"role":"user"})",  // minItems
                         R"({"name":"Ann","age":3,"tags":["a","b","c"],"role":"user"})",
                         R"({"name":"Ann","age":3,"role":"user","ok":false})",
                         R"({"name":"Ann","age":3,"role":"user","x":1})"})
    EXPECT_FALSE(accepts(g, no)) << no;
}

// A small validator for the subset, written from the JSON Schema spec,
// independent of the compiler under test.
bool validates(const json& value, const json& schema, const json& root) {
  if (schema.is_boolean()) return schema.get<bool>();
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    return validates(value, root["$defs"][ref.substr(std::string("#/$defs/").size())], root);
  }
  if (schema.contains("anyOf")) {
    for (const auto& branch : schema["anyOf"])
      if (validates(value, branch, root)) return true;
    return false;
  }
  if (schema.contains("enum")) {
    bool any = false;
    for (const auto& v : schema["enum"]) any = any || v == value;
    if (!any) return false;
  }
  if (schema.contains("const") && schema["const"] != value) return false;
  if (schema.contains("type")) {
    const json types = schema["type"].is_array() ? schema["type"] : json::array({schema["type"]});
    bool any = false;
    for (const auto& t : types) {
      const std::string type = t;
      any = any || (type == "string" && value.is_string()) || (type == "integer" && value.is_number_integer()) ||
            (type == "number" && value.is_number()) || (type == "boolean" && value.is_boolean()) ||
            (type == "null" && value.is_null()) || (type == "object" && value.is_object()) ||
            (type == "array" && value.is_array());
    }
    if (!any) return false;
  }
  if (value.is_string()) {
    size_t characters = 0;
    for (const unsigned char c : value.get<std::string>()) characters += (c & 0xC0) != 0x80;
    if (schema.contains("minLength") && characters < schema["minLength"].get<size_t>()) return false;
    if (schema.contains("maxLength") && characters > schema["maxLength"].get<size_t>()) return false;
  }
  if (value.is_array()) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<size_t>()) return false;
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<size_t>()) return false;
    if (schema.contains("items"))
      for (const auto& item : value)
        if (!validates(item, schema["items"], root)) return false;
  }
  if (value.is_object() && schema.contains("properties")) {
    for (const auto& name : schema.value("required", json::array()))
      if (!value.contains(name.get<std::string>())) return false;
    for (const auto& [key, item] : value.items()) {
      if (!schema["properties"].contains(key)) {
        if (schema.value("additionalProperties", json(true)) == json(false)) return false;
        continue;
      }
      if (!validates(item, schema["properties"][key], root)) return false;
    }
  }
  return true;
}

// Random walks through the allowed tokens: whatever the model picks, a
// finished output parses and validates.
TEST(JsonSchema, EveryCompleteOutputValidates) {
  const json schemas[] = {
      json::parse(kPerson),
      json::parse(R"({"type":"object","properties":{"list":{"$ref":"#/$defs/list"}},"required":["list"],
                      "$defs":{"list":{"anyOf":[{"type":"null"},{"type":"object","properties":{
                        "head":{"type":"number"},"tail":{"$ref":"#/$defs/list"}},"required":["head","tail"]}]}}})"),
      json::parse(R"({"type":"array","items":{"type":"object","additionalProperties":{"type":"boolean"}},"maxItems":3})"),
  };
  const auto vocabulary = json_vocabulary(3000, 5);
  std::mt19937 rng(17);
  for (const json& schema : schemas) {
    const auto gbnf = json_schema_to_gbnf(schema);
    ASSERT_TRUE(gbnf.ok()) << gbnf.error().message;
    const auto g = compile_gbnf(gbnf.value(), vocabulary);
    int finished = 0;
    for (int walk = 0; walk < 60; ++walk) {
      GrammarMatcher matcher(g);
      MatcherScratch scratch(vocabulary->size(), vocabulary->longest());
      std::string text;
      for (int step = 0; step < 1500; ++step) {
        const bool may_end = matcher.allowed_tokens(scratch);
        std::vector<int32_t> choices;
        for (int32_t id = 0; id < vocabulary->size(); ++id)
          if ((scratch.allowed[static_cast<size_t>(id) / 64] >> (id % 64)) & 1) choices.push_back(id);
        // End as soon as allowed (with some randomness), so that walks finish.
        if (may_end && (choices.empty() || rng() % 3 != 0)) {
          const json value = json::parse(text);
          EXPECT_TRUE(validates(value, schema, schema)) << text;
          ++finished;
          break;
        }
        ASSERT_FALSE(choices.empty()) << "no token allowed after " << text;
        // Prefer tokens that close things (the ends of JSON), so that walks end.
        int32_t pick = choices[rng() % choices.size()];
        for (const int32_t id : choices)
          if (rng() % 4 == 0 && std::string_view("]}\"0ntf").find(vocabulary->bytes(id)[0]) != std::string_view::npos) pick = id;
        ASSERT_TRUE(matcher.accept(vocabulary->bytes(pick), scratch));
        text += vocabulary->bytes(pick);
      }
    }
    EXPECT_GE(finished, 10) << schema.dump();
  }
}

}  // namespace
}  // namespace keel::grammar
