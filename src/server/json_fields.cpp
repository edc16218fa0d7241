#include "server/json_fields.h"

#include <cmath>

namespace keel::server {

std::string json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::number_float: return "a number";
    default: return "an integer";
  }
}

const nlohmann::json* JsonFields::find(std::string_view name) const {
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<ApiError> JsonFields::read_bool(std::string_view name, bool& out) const {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  if (!value->is_boolean())
    return bad_request("'" + std::string(name) + "' must be a boolean, got " + json_type_name(*value),
                       std::string(name));
  out = value->get<bool>();
  return std::nullopt;
}

std::optional<ApiError> JsonFields::read_int(std::string_view name, int64_t min, int64_t max,
                                             std::optional<int64_t>& out) const {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  const std::string field(name);
  auto range_error = [&] {
    return bad_request("'" + field + "' must be between " + std::to_string(min) + " and " + std::to_string(max),
                       field);
  };
  if (value->is_number_unsigned()) {
    // Unsigned values above INT64_MAX cannot be in range.
    uint64_t v = value->get<uint64_t>();
    if (v > static_cast<uint64_t>(max) || static_cast<int64_t>(v) < min) return range_error();
    out = static_cast<int64_t>(v);
    return std::nullopt;
  }
  if (value->is_number_integer()) {
    int64_t v = value->get<int64_t>();
    if (v < min || v > max) return range_error();
    out = v;
    return std::nullopt;
  }
  if (value->is_number_float()) {
    // 5.0 is accepted as 5 (some clients serialise every number as a float).
    double v = value->get<double>();
    if (!std::isfinite(v) || v != std::floor(v))
      return bad_request("'" + field + "' must be an integer", field);
    if (v < static_cast<double>(min) || v > static_cast<double>(max)) return range_error();
    out = static_cast<int64_t>(v);
    return std::nullopt;
  }
  return bad_request("'" + field + "' must be an integer, got " + json_type_name(*value), field);
}

std::optional<ApiError> JsonFields::read_float(std::string_view name, double min, double max,
                                               std::optional<double>& out) const {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  const std::string field(name);
  if (!value->is_number())
    return bad_request("'" + field + "' must be a number, got " + json_type_name(*value), field);
  double v = value->get<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    return bad_request("'" + field + "' must be between " + nlohmann::json(min).dump() + " and " +
                           nlohmann::json(max).dump(),
                       field);
  }
  out = v;
  return std::nullopt;
}

std::optional<ApiError> JsonFields::read_string(std::string_view name, size_t max_bytes,
                                                std::optional<std::string>& out) const {
  const nlohmann::json* value = find(name);
  if (!value) return std::nullopt;
  const std::string field(name);
  if (!value->is_string())
    return bad_request("'" + field + "' must be a string, got " + json_type_name(*value), field);
  const auto& s = value->get_ref<const std::string&>();
  if (s.size() > max_bytes)
    return bad_request("'" + field + "' is longer than " + std::to_string(max_bytes) + " bytes", field);
  out = s;
  return std::nullopt;
}

}  // namespace keel::server
