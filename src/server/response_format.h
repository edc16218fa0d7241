// read_response_format: the `response_format` field of a request, as the
// GBNF grammar (grammar/gbnf_parser.h) that the output must match.
//
//   {"type": "text"}                                  no constraint
//   {"type": "json_object"}                           any JSON object
//   {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}, "strict": ...}}
//                                                     JSON valid against the schema (grammar/json_schema.h)
//   {"type": "grammar", "grammar": "root ::= ..."}   a GBNF grammar (keel's extension)
//
// `ordered_body` is the request body parsed with its key order kept: a
// schema's properties are generated in the order the client wrote them.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace keel::server {

// The grammar text ("" for none), or a 400 naming what is wrong.
std::optional<ApiError> read_response_format(const nlohmann::json& body, std::string_view raw_body, std::string& grammar);

}  // namespace keel::server
