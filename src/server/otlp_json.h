// otlp_json: a batch of spans as the body of an OTLP/HTTP export request in
// its JSON encoding (ExportTraceServiceRequest; POST to .../v1/traces with
// Content-Type: application/json). The encoding follows the OTLP
// specification's JSON rules: trace and span ids as hex strings, 64-bit
// integers as decimal strings, enums as numbers.
#pragma once

#include <string>
#include <vector>

#include "server/span.h"

namespace keel::server {

// service.name "keel" and service.version `version` on the resource.
std::string otlp_json_export_request(const std::vector<Span>& spans, const std::string& version);

}  // namespace keel::server
