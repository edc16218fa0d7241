// ApiError: a request that cannot be served, in the shape OpenAI clients
// expect: {"error": {"message", "type", "param", "code"}} with an HTTP status.
// Every failure the server reports to a client goes through this type, so
// SDKs raise their usual exception classes (BadRequestError, RateLimitError...).
#pragma once

#include <optional>
#include <string>

namespace keel::server {

struct ApiError {
  int status = 400;
  std::string message;
  std::string param;                      // the offending field, "" when none
  std::optional<double> retry_after;      // seconds, for 429 and some 503s

  // OpenAI's "type" for the status: invalid_request_error, authentication_error ...
  std::string type() const;
  // The serialized JSON body.
  std::string body() const;
};

ApiError bad_request(std::string message, std::string param = {});
ApiError unauthorized(std::string message);
ApiError not_found(std::string message);
ApiError method_not_allowed(std::string message);
ApiError too_many_requests(std::string message, double retry_after_seconds);
ApiError unavailable(std::string message, std::optional<double> retry_after_seconds = std::nullopt);

}  // namespace keel::server
