// Typed, range-checked reads of optional fields from an untrusted JSON
// object. Each failure is an ApiError (400) whose message and `param`
// name the field, so a client learns exactly what to fix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.h"

namespace keel::server {

class JsonFields {
 public:
  explicit JsonFields(const nlohmann::json& object) : object_(object) {}

  // The field, or nullptr when it is absent or JSON null (OpenAI treats both
  // as "use the default").
  const nlohmann::json* find(std::string_view name) const;

  // Each reader leaves `out` unchanged when the field is absent and returns
  // an error for a wrong type or a value outside [min, max].
  std::optional<ApiError> read_bool(std::string_view name, bool& out) const;
  std::optional<ApiError> read_int(std::string_view name, int64_t min, int64_t max,
                                   std::optional<int64_t>& out) const;
  std::optional<ApiError> read_float(std::string_view name, double min, double max,
                                     std::optional<double>& out) const;
  std::optional<ApiError> read_string(std::string_view name, size_t max_bytes,
                                      std::optional<std::string>& out) const;

 private:
  const nlohmann::json& object_;
};

// "a", "b" or "c" style description of a JSON value's type, for messages.
std::string json_type_name(const nlohmann::json& value);

}  // namespace keel::server
