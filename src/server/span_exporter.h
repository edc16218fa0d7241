// SpanExporter: sends finished requests' spans to an OTLP/HTTP collector
// (--otlp-endpoint) from a thread of its own. Handing spans over never
// blocks: a bounded queue takes them or, when full, counts them as dropped,
// so a slow or absent collector costs spans, never request latency and
// never memory. The engine thread never touches it (spans are built when a
// request's response ends, on the HTTP side).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/otlp_http_post.h"
#include "server/span.h"

namespace keel::server {

struct SpanExporterStats {
  uint64_t exported = 0;             // spans the collector accepted
  uint64_t dropped_queue_full = 0;   // spans refused because the queue was full
  uint64_t dropped_export_failed = 0;  // spans of batches the collector did not take
};

class SpanExporter {
 public:
  static constexpr size_t kQueueCapacity = 4096;  // spans (1,024 requests of 4 spans)
  static constexpr size_t kMaxBatch = 512;        // spans per export request
  static constexpr std::chrono::milliseconds kFlushInterval{1000};
  static constexpr std::chrono::milliseconds kExportTimeout{3000};

  SpanExporter(OtlpEndpoint endpoint, std::string service_version);
  ~SpanExporter();  // exports what is queued (stopping at the first failed batch), then stops
  SpanExporter(const SpanExporter&) = delete;
  SpanExporter& operator=(const SpanExporter&) = delete;

  // Queues a request's spans (all of them or none, so no trace is left
  // half-exported); false when they were dropped.
  bool offer(std::vector<Span> spans);
  SpanExporterStats stats() const;

 private:
  void run();
  bool export_batch(std::vector<Span>& batch);  // false: the collector did not take it

  const OtlpEndpoint endpoint_;
  const std::string service_version_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Span> queue_;
  bool stopping_ = false;
  std::atomic<uint64_t> exported_{0}, dropped_queue_full_{0}, dropped_export_failed_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace keel::server
