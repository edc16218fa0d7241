// One interval of a soak: the client's view of the requests that finished
// in it and the server's /metrics at its end, as named numbers (series).
// A series a server does not export is NaN and is left out of the fits.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bench/prometheus_text.h"
#include "bench/request_record.h"

namespace keel::bench {

// The series, in the order of the CSV columns. Latencies in milliseconds,
// memory in bytes, rates per second.
const std::vector<std::string>& soak_series_names();

struct SoakWindow {
  double end_s = 0;               // since the soak began
  std::vector<double> values;     // one per soak_series_names(), NaN when unknown
  double get(std::string_view series) const;
};

// Builds a window from the requests that finished in it and the server's
// metrics now (`metrics` may be empty) and at the previous window's end
// (`previous`, for the prefix hit rate of this window alone).
SoakWindow make_soak_window(double end_s, double length_s, const std::vector<RequestRecord>& finished,
                            const MetricSnapshot& metrics, const MetricSnapshot& previous);

}  // namespace keel::bench
