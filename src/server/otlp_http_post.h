// otlp_http_post: one blocking POST of an OTLP/HTTP JSON body to a
// collector, within a deadline. Only plain http:// (a collector beside the
// server, or an agent on the node); TLS is the collector's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace keel::server {

struct OtlpEndpoint {
  std::string host;
  uint16_t port = 4318;  // OTLP/HTTP's default
  std::string path;      // "/v1/traces" when the URL names no path
};

// "http://HOST[:PORT][/PATH]". A URL without a path gets OTLP's
// "/v1/traces", as OTEL_EXPORTER_OTLP_ENDPOINT would; one with a path is
// used as it is (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT's meaning).
Result<OtlpEndpoint> parse_otlp_endpoint(std::string_view url);

// Succeeds on a 2xx answer; an error names the status or what failed.
Status post_otlp_json(const OtlpEndpoint& endpoint, const std::string& body, std::chrono::milliseconds timeout);

}  // namespace keel::server
