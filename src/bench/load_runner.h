// Drives a server with a workload under one load shape: open loop (requests
// arrive on an ArrivalSchedule whatever the server does) with an optional
// cap on requests in flight (closed loop when the rate is infinite), until
// a number of requests or a duration is reached, or `stop` turns true.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>

#include "bench/openai_client.h"
#include "bench/workload.h"

namespace keel::bench {

struct LoadShape {
  double request_rate = std::numeric_limits<double>::infinity();
  double burstiness = 1.0;
  int32_t max_concurrency = 0;  // 0: no cap
  uint64_t num_requests = 0;    // 0: no count limit
  double duration_s = 0;        // 0: no time limit
  uint64_t seed = 0;            // of the arrival times
};

// The shape must end somehow and must not open unbounded connections.
Status validate(const LoadShape& shape);

// Called once per finished request (from the request's thread, serialised
// by the runner). Requests cancelled by `stop` are not reported.
using RecordSink = std::function<void(const RequestRecord&)>;

// Runs the load; returns when every sent request has finished. `stop`
// ends it early: nothing more is sent and requests in flight are cancelled.
void run_load(const EndpointConfig& endpoint, const Workload& workload, const LoadShape& shape,
              std::chrono::steady_clock::time_point run_start, const std::atomic<bool>& stop,
              const RecordSink& on_record);

}  // namespace keel::bench
