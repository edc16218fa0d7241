// ServerMemorySampler: the server's resident memory over a `bench serve`
// run, from its /metrics (process_resident_memory_bytes, which keel, vLLM
// and any Prometheus client library export): before the load, its peak
// while the load runs (a scrape a second on a thread of its own), and after.
// `bench compare` gates on the peak, the final size and the growth.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/openai_client.h"

namespace keel::bench {

struct ServerMemory {
  double start_bytes = 0;  // before the first request
  double peak_bytes = 0;   // the largest sample, start and final included
  double final_bytes = 0;  // after the last response
  double growth_bytes() const { return final_bytes - start_bytes; }
};

// The result file's "server_memory" object.
nlohmann::json server_memory_json(const ServerMemory& memory);

class ServerMemorySampler {
 public:
  // Takes the starting sample now; samples every `interval_s` until finish().
  ServerMemorySampler(EndpointConfig endpoint, std::string metrics_path, double interval_s = 1.0);
  ~ServerMemorySampler();
  ServerMemorySampler(const ServerMemorySampler&) = delete;
  ServerMemorySampler& operator=(const ServerMemorySampler&) = delete;

  // Stops sampling and takes the final sample; nothing when the server
  // exports no resident memory.
  std::optional<ServerMemory> finish();

 private:
  std::optional<double> sample() const;
  void stop_sampling();  // ends the sampling thread (idempotent)

  const EndpointConfig endpoint_;
  const std::string metrics_path_;
  const double interval_s_;
  std::optional<ServerMemory> memory_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace keel::bench
