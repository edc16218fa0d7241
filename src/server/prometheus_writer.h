// PrometheusWriter: the text exposition format, one family at a time
// (# HELP, # TYPE, then samples), with numbers written the way Prometheus
// parses them (+Inf, NaN, no locale).
#pragma once

#include <string>
#include <string_view>

#include "server/histogram.h"

namespace keel::server {

class PrometheusWriter {
 public:
  // Starts a metric family; `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample; `labels` is "" or the inside of the braces: key="value",...
  void sample(std::string_view name, double value, std::string_view labels = {});
  void histogram(std::string_view name, std::string_view help, const Histogram::Snapshot& snapshot);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

std::string format_metric_value(double value);
// Escapes a label value (backslash, quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace keel::server
