#include "server/response_format.h"

#include "grammar/json_schema.h"

namespace keel::server {

std::optional<ApiError> read_response_format(const nlohmann::json& body, std::string_view raw_body, std::string& grammar) {
  const auto format = body.find("response_format");
  if (format == body.end() || format->is_null()) return std::nullopt;
  const std::string param = "response_format";
  if (!format->is_object()) return bad_request("'response_format' must be an object", param);
  const auto type = format->find("type");
  if (type == format->end() || !type->is_string())
    return bad_request("'response_format.type' must be one of \"text\", \"json_object\", \"json_schema\", \"grammar\"", param);
  const std::string kind = type->get<std::string>();
  if (kind == "text") return std::nullopt;
  if (kind == "json_object") {
    grammar = grammar::json_object_gbnf();
    return std::nullopt;
  }
  if (kind == "grammar") {
    const auto text = format->find("grammar");
    if (text == format->end() || !text->is_string() || text->get_ref<const std::string&>().empty())
      return bad_request("'response_format.grammar' must be a non-empty GBNF grammar string", param);
    grammar = text->get<std::string>();
    return std::nullopt;
  }
  if (kind != "json_schema")
    return bad_request("'response_format.type' \"" + kind +
                           "\" is not one of \"text\", \"json_object\", \"json_schema\", \"grammar\"",
                       param);
  const auto spec = format->find("json_schema");
  if (spec == format->end() || !spec->is_object())
    return bad_request("'response_format.json_schema' must be an object with a 'schema'", param);
  if (const auto schema = spec->find("schema"); schema == spec->end() || !(schema->is_object() || schema->is_boolean()))
    return bad_request("'response_format.json_schema.schema' must be a JSON schema object", param);
  // The schema again, this time with its keys in the client's order.
  const auto ordered = nlohmann::ordered_json::parse(raw_body, nullptr, /*allow_exceptions=*/false);
  if (ordered.is_discarded()) return bad_request("the request body is not valid JSON", param);
  auto gbnf = grammar::json_schema_to_gbnf(ordered["response_format"]["json_schema"]["schema"]);
  if (!gbnf.ok()) return bad_request("response_format: " + gbnf.error().message, param);
  grammar = std::move(gbnf).value();
  return std::nullopt;
}

}  // namespace keel::server
