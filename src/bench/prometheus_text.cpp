#include "bench/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace keel::bench {
namespace {

bool is_name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

Result<double> parse_value(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return Error{"bad value '" + std::string(text) + "'"};
  return value;
}

// Parses `{a="x",b="y"}` at the start of `rest`, consuming it.
Status parse_labels(std::string_view& rest, std::map<std::string, std::string>& labels) {
  rest.remove_prefix(1);  // '{'
  for (;;) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == ',')) rest.remove_prefix(1);
    if (rest.empty()) return Error{"unterminated label set"};
    if (rest.front() == '}') {
      rest.remove_prefix(1);
      return ok_status();
    }
    size_t n = 0;
    while (n < rest.size() && is_name_char(rest[n], n == 0)) ++n;
    if (n == 0) return Error{"bad label name"};
    const std::string key(rest.substr(0, n));
    rest.remove_prefix(n);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.size() < 2 || rest[0] != '=' || rest[1] != '"') return Error{"label '" + key + "' has no quoted value"};
    rest.remove_prefix(2);
    std::string value;
    for (;;) {
      if (rest.empty()) return Error{"unterminated label value"};
      const char c = rest.front();
      rest.remove_prefix(1);
      if (c == '"') break;
      if (c == '\\' && !rest.empty()) {
        const char escaped = rest.front();
        rest.remove_prefix(1);
        value += escaped == 'n' ? '\n' : escaped;
      } else {
        value += c;
      }
    }
    labels[key] = std::move(value);
  }
}

Result<MetricSample> parse_sample(std::string_view line) {
  MetricSample sample;
  size_t n = 0;
  while (n < line.size() && is_name_char(line[n], n == 0)) ++n;
  if (n == 0) return Error{"bad metric name"};
  sample.name = std::string(line.substr(0, n));
  std::string_view rest = line.substr(n);
  if (!rest.empty() && rest.front() == '{') KEEL_TRY(parse_labels(rest, sample.labels));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const size_t space = rest.find(' ');  // an optional timestamp follows
  auto value = parse_value(rest.substr(0, space));
  if (!value.ok()) return value.error();
  sample.value = *value;
  return sample;
}

}  // namespace

std::optional<double> MetricSnapshot::value(std::string_view name,
                                            const std::map<std::string, std::string>& labels) const {
  for (const auto& sample : samples_) {
    if (sample.name != name) continue;
    bool matches = true;
    for (const auto& [key, wanted] : labels) {
      const auto found = sample.labels.find(key);
      matches = matches && found != sample.labels.end() && found->second == wanted;
    }
    if (matches) return sample.value;
  }
  return std::nullopt;
}

std::optional<double> MetricSnapshot::sum(std::string_view name) const {
  std::optional<double> total;
  for (const auto& sample : samples_)
    if (sample.name == name) total = total.value_or(0) + sample.value;
  return total;
}

Result<MetricSnapshot> parse_prometheus_text(std::string_view text) {
  std::vector<MetricSample> samples;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    auto sample = parse_sample(line);
    if (!sample.ok()) return Error{"/metrics line " + std::to_string(line_number) + ": " + sample.error().message};
    samples.push_back(std::move(sample.value()));
  }
  return MetricSnapshot(std::move(samples));
}

}  // namespace keel::bench
