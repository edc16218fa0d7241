#include "server/api_error.h"

#include <nlohmann/json.hpp>

namespace keel::server {

std::string ApiError::type() const {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 503: return "service_unavailable_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string ApiError::body() const {
  nlohmann::json error = {
      {"message", message},
      {"type", type()},
      {"param", param.empty() ? nlohmann::json(nullptr) : nlohmann::json(param)},
      {"code", status},
  };
  // Messages may quote client bytes; `replace` keeps invalid UTF-8 from
  // turning an error report into an exception.
  return nlohmann::json{{"error", error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError bad_request(std::string message, std::string param) {
  return ApiError{400, std::move(message), std::move(param), std::nullopt};
}
ApiError unauthorized(std::string message) { return ApiError{401, std::move(message), {}, std::nullopt}; }
ApiError not_found(std::string message) { return ApiError{404, std::move(message), {}, std::nullopt}; }
ApiError method_not_allowed(std::string message) { return ApiError{405, std::move(message), {}, std::nullopt}; }
ApiError too_many_requests(std::string message, double retry_after_seconds) {
  return ApiError{429, std::move(message), {}, retry_after_seconds};
}
ApiError unavailable(std::string message, std::optional<double> retry_after_seconds) {
  return ApiError{503, std::move(message), {}, retry_after_seconds};
}

}  // namespace keel::server
