// scrape_metrics: one GET of a server's Prometheus endpoint, parsed. A
// server without one (or one that fails to answer) gives an empty snapshot:
// the client-side figures stand on their own.
#pragma once

#include <string>

#include "bench/openai_client.h"
#include "bench/prometheus_text.h"

namespace keel::bench {

// `path` empty: no scrape (an empty snapshot).
MetricSnapshot scrape_metrics(const EndpointConfig& endpoint, const std::string& path);

}  // namespace keel::bench
