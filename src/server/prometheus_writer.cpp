#include "server/prometheus_writer.h"

#include <cmath>
#include <cstdio>

namespace keel::server {

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void PrometheusWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusWriter::sample(std::string_view name, double value, std::string_view labels) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    out_ += labels;
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_metric_value(value);
  out_ += '\n';
}

void PrometheusWriter::histogram(std::string_view name, std::string_view help, const Histogram::Snapshot& snapshot) {
  family(name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < snapshot.bounds.size(); ++i)
    sample(bucket, static_cast<double>(snapshot.cumulative[i]), "le=\"" + format_metric_value(snapshot.bounds[i]) + "\"");
  sample(bucket, static_cast<double>(snapshot.cumulative.back()), "le=\"+Inf\"");
  sample(std::string(name) + "_sum", snapshot.sum);
  sample(std::string(name) + "_count", static_cast<double>(snapshot.count));
}

}  // namespace keel::server
