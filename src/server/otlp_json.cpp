#include "server/otlp_json.h"

#include <nlohmann/json.hpp>

namespace keel::server {
namespace {

nlohmann::json any_value(const AttributeValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) return {{"stringValue", v}};
        if constexpr (std::is_same_v<T, int64_t>) return {{"intValue", std::to_string(v)}};
        if constexpr (std::is_same_v<T, double>) return {{"doubleValue", v}};
        if constexpr (std::is_same_v<T, bool>) return {{"boolValue", v}};
      },
      value);
}

nlohmann::json key_value(const std::string& key, const AttributeValue& value) {
  return {{"key", key}, {"value", any_value(value)}};
}

nlohmann::json span_json(const Span& span) {
  nlohmann::json out = {{"traceId", to_hex(span.trace_id)},
                        {"spanId", to_hex(span.span_id)},
                        {"name", span.name},
                        {"kind", static_cast<int>(span.kind)},
                        {"startTimeUnixNano", std::to_string(span.start_unix_ns)},
                        {"endTimeUnixNano", std::to_string(span.end_unix_ns)}};
  if (span.parent_span_id) out["parentSpanId"] = to_hex(*span.parent_span_id);
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& [key, value] : span.attributes) attributes.push_back(key_value(key, value));
  out["attributes"] = std::move(attributes);
  if (span.error) out["status"] = {{"code", 2}, {"message", span.error_message}};  // STATUS_CODE_ERROR
  return out;
}

}  // namespace

std::string otlp_json_export_request(const std::vector<Span>& spans, const std::string& version) {
  nlohmann::json spans_json = nlohmann::json::array();
  for (const Span& span : spans) spans_json.push_back(span_json(span));
  const nlohmann::json resource = {
      {"attributes", {key_value("service.name", std::string("keel")), key_value("service.version", version)}}};
  const nlohmann::json request = {
      {"resourceSpans",
       {{{"resource", resource},
         {"scopeSpans", {{{"scope", {{"name", "keel"}, {"version", version}}}, {"spans", std::move(spans_json)}}}}}}}};
  return request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace keel::server
