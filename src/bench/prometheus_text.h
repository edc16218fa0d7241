// A parser of the Prometheus text exposition format (what /metrics
// returns), for the soak's server-side series. Lenient where servers
// differ (timestamps, missing HELP/TYPE), strict about what it keeps.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace keel::bench {

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

class MetricSnapshot {
 public:
  MetricSnapshot() = default;
  explicit MetricSnapshot(std::vector<MetricSample> samples) : samples_(std::move(samples)) {}

  // The value of the sample `name` whose labels include all of `labels`;
  // nothing when no sample matches.
  std::optional<double> value(std::string_view name, const std::map<std::string, std::string>& labels = {}) const;
  // The sum over every sample called `name` (all label sets); nothing when none.
  std::optional<double> sum(std::string_view name) const;
  const std::vector<MetricSample>& samples() const { return samples_; }

 private:
  std::vector<MetricSample> samples_;
};

// Parses a whole exposition. An Error names the first bad line.
Result<MetricSnapshot> parse_prometheus_text(std::string_view text);

}  // namespace keel::bench
