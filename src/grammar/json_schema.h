// json_schema_to_gbnf: a JSON schema as a GBNF grammar (gbnf_parser.h)
// whose every match is a JSON text that validates against the schema.
//
// The subset is the one OpenAI's strict structured outputs document:
// type (one or a list), object with properties / required /
// additionalProperties, array with items, string, number, integer,
// boolean, null, enum, const, anyOf, $ref into #/$defs or #/definitions,
// and, where the grammar stays small, minLength / maxLength (up to
// kMaxStringBound) and minItems / maxItems (up to kMaxItemsBound).
// Annotations (title, description, default, examples, $schema, $id,
// $comment) are ignored. Any other keyword is refused with an error that
// names it and where it is, never silently dropped: a grammar that
// allowed output the schema forbids would break the guarantee.
//
// Choices a schema leaves open: properties come in the order the schema
// lists them; a property not in `required` may be left out; properties
// that are not listed are never generated (so additionalProperties may be
// anything: the output still validates); between tokens there is at most
// one space (compact JSON: a weak or random model cannot spend its tokens
// on whitespace, which a looser rule lets it do); an integer has at most
// 18 digits (so that it fits the 64-bit integers clients parse it into),
// a number at most 20 after its point and 2 in its exponent (within a double's
// precision and range). Every value but a string or a container without a
// length bound is thereby bounded in length.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace keel::grammar {

inline constexpr int64_t kMaxStringBound = 64;
inline constexpr int64_t kMaxItemsBound = 256;

Result<std::string> json_schema_to_gbnf(const nlohmann::ordered_json& schema);

// Any JSON object: response_format {"type": "json_object"}.
std::string json_object_gbnf();

// For grammars that embed several schemas (tool calls): the rules of one
// schema, named with `prefix` ([A-Za-z0-9-]) so that schemas do not clash,
// and `root`, the expression that matches it. They use the shared
// json_basics_gbnf() rules (ws, json-string, json-value ...), which the
// grammar must include once.
struct SchemaRules {
  std::string root;
  std::string rules;  // "name ::= body" lines
};
Result<SchemaRules> json_schema_rules(const nlohmann::ordered_json& schema, const std::string& prefix);
std::string json_basics_gbnf();

}  // namespace keel::grammar
