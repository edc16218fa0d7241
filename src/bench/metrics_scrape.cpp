#include "bench/metrics_scrape.h"

#include <chrono>

namespace keel::bench {

MetricSnapshot scrape_metrics(const EndpointConfig& endpoint, const std::string& path) {
  if (path.empty()) return {};
  HttpRequest request;
  request.path = path;
  request.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  if (!endpoint.api_key.empty()) request.headers.emplace_back("Authorization", "Bearer " + endpoint.api_key);
  auto response = http_exchange(endpoint.url, request);
  if (!response.ok() || response->status != 200) return {};
  auto parsed = parse_prometheus_text(response->body);
  return parsed.ok() ? std::move(parsed.value()) : MetricSnapshot();
}

}  // namespace keel::bench
