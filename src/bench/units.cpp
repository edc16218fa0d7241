#include "bench/units.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace keel::bench {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "12.5ms" into its number and the unit that follows it.
Result<std::pair<double, std::string_view>> split_number(std::string_view text, std::string_view what) {
  text = trim(text);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || !std::isfinite(value))
    return Error{"invalid " + std::string(what) + " '" + std::string(text) + "'"};
  return std::pair{value, trim(std::string_view(end, static_cast<size_t>(text.data() + text.size() - end)))};
}

}  // namespace

Result<double> parse_duration_seconds(std::string_view text) {
  auto parsed = split_number(text, "duration");
  if (!parsed.ok()) return parsed.error();
  const auto [value, unit] = *parsed;
  if (value < 0) return Error{"duration '" + std::string(text) + "' is negative"};
  if (unit.empty() || unit == "s") return value;
  if (unit == "ms") return value / 1000.0;
  if (unit == "m" || unit == "min") return value * 60.0;
  if (unit == "h") return value * 3600.0;
  if (unit == "d") return value * 86400.0;
  return Error{"duration '" + std::string(text) + "' has unknown unit '" + std::string(unit) +
               "' (use ms, s, m, h or d)"};
}

Result<double> parse_rate(std::string_view text) {
  if (trim(text) == "inf") return std::numeric_limits<double>::infinity();
  auto parsed = split_number(text, "request rate");
  if (!parsed.ok()) return parsed.error();
  if (!parsed->second.empty() || parsed->first <= 0)
    return Error{"request rate '" + std::string(text) + "' must be a positive number or 'inf'"};
  return parsed->first;
}

Result<double> parse_percent(std::string_view text) {
  auto parsed = split_number(text, "percentage");
  if (!parsed.ok()) return parsed.error();
  const auto [value, unit] = *parsed;
  if (!unit.empty() && unit != "%" && unit != "%/h")
    return Error{"percentage '" + std::string(text) + "' must look like 5 or 5%"};
  if (value < 0) return Error{"percentage '" + std::string(text) + "' is negative"};
  return value;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!trim(text).empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos || trim(item.substr(0, equals)).empty() ||
        trim(item.substr(equals + 1)).empty())
      return Error{"expected key=value, got '" + std::string(item) + "'"};
    std::string key(trim(item.substr(0, equals)));
    for (const auto& existing : pairs)
      if (existing.first == key) return Error{"key '" + key + "' given twice"};
    pairs.emplace_back(std::move(key), std::string(trim(item.substr(equals + 1))));
  }
  return pairs;
}

std::string format_duration(double seconds) {
  char buffer[64];
  if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  } else {
    const auto whole = static_cast<long long>(seconds);
    if (whole < 3600)
      std::snprintf(buffer, sizeof buffer, "%lldm %02llds", whole / 60, whole % 60);
    else
      std::snprintf(buffer, sizeof buffer, "%lldh %02lldm %02llds", whole / 3600, (whole / 60) % 60, whole % 60);
  }
  return buffer;
}

}  // namespace keel::bench
