// When an open-loop run sends its next request. Gaps are gamma distributed
// with shape `burstiness` and mean 1/rate: burstiness 1 is a Poisson
// process, below 1 is burstier, above 1 is more even. An infinite rate
// sends everything at once.
#pragma once

#include <cstdint>
#include <random>

namespace keel::bench {

class ArrivalSchedule {
 public:
  ArrivalSchedule(double requests_per_second, double burstiness, uint64_t seed);
  double next_gap_seconds();

 private:
  bool all_at_once_;
  std::mt19937_64 generator_;
  std::gamma_distribution<double> gap_;
};

}  // namespace keel::bench
