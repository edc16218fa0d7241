#include "bench/arrival_schedule.h"

#include <cmath>

namespace keel::bench {

ArrivalSchedule::ArrivalSchedule(double requests_per_second, double burstiness, uint64_t seed)
    : all_at_once_(std::isinf(requests_per_second)),
      generator_(seed),
      // Mean of gamma(k, theta) is k * theta; theta = 1 / (rate * k) keeps the mean at 1/rate.
      gap_(burstiness, all_at_once_ ? 1.0 : 1.0 / (requests_per_second * burstiness)) {}

double ArrivalSchedule::next_gap_seconds() { return all_at_once_ ? 0.0 : gap_(generator_); }

}  // namespace keel::bench
