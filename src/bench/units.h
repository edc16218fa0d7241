// Human-written quantities on the bench command lines: durations ("90s",
// "30m", "24h", "250ms"), rates ("4", "0.5", "inf"), percentages ("5%") and
// key=value lists ("ttft=500ms,tpot=50ms").
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace keel::bench {

// Seconds in a duration: a non-negative number with an optional unit
// (ms, s, m, min, h, d); a bare number means seconds.
Result<double> parse_duration_seconds(std::string_view text);

// Requests per second: a positive number, or "inf" for all at once.
Result<double> parse_rate(std::string_view text);

// A percentage: "5%", "5" (both mean 5) or "0.5%". Returns the number of percent.
Result<double> parse_percent(std::string_view text);

// "a=1,b=2" into ordered pairs; keys and values are trimmed, keys must be unique.
Result<std::vector<std::pair<std::string, std::string>>> parse_key_values(std::string_view text);

// "1h 02m 03s", "4m 05s", "12.3s": how long a run has gone, for people.
std::string format_duration(double seconds);

}  // namespace keel::bench
