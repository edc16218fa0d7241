// The verdict of a soak: for each series, the first and last window after
// warm-up and the drift, the slope of a least-squares line through the
// windows in percent of the starting level per hour, with its 95% interval.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "bench/soak_window.h"
#include "bench/statistics.h"
#include "core/result.h"

namespace keel::bench {

struct SeriesDrift {
  std::string series;
  size_t windows = 0;          // post-warm-up windows with a value
  double first = 0, last = 0;  // values of the first and last of them
  LinearFit fit;               // value against hours since the soak began
  double start_level = 0;      // the fitted value at the first window: what % are of
  double drift_percent_per_hour = 0;
  double half_width_percent_per_hour = 0;  // of the 95% interval; inf with < 3 windows
  double threshold_percent_per_hour = -1;  // < 0: none set
  bool exceeded = false;
};

// --max-drift keys: "latency" (TTFT, ITL and end-to-end medians), "rss"
// (resident and anonymous+swap memory), "throughput" (a fall in output
// throughput), or any series name. Values in % per hour.
Result<std::map<std::string, double>> parse_drift_thresholds(std::string_view text);

// A drift exceeds its threshold only when its whole 95% interval lies beyond
// it: noise in a short soak never fails it, while a real leak's interval
// narrows as the soak runs on. Falls count against throughput, rises against
// everything else.
std::vector<SeriesDrift> analyse_drift(const std::vector<SoakWindow>& windows, double warmup_s,
                                       const std::map<std::string, double>& thresholds_percent_per_hour);

}  // namespace keel::bench
