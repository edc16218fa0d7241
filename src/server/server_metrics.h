// ServerMetrics: what the HTTP side measures — latencies per request,
// token counts, outcomes and rejections. The engine's own numbers come
// from its published EngineStats; render_metrics() joins both.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/engine_stats.h"
#include "server/circuit_breaker.h"
#include "server/histogram.h"
#include "server/process_stats.h"
#include "server/span_exporter.h"

namespace keel::server {

// Why a request was turned away. A closed set: one metric label each.
enum class RejectReason : uint8_t {
  kQueueFull, kQueueTimeout, kRateLimit, kTokenLimit, kConcurrencyLimit, kUnauthorized,
  kNotReady, kDraining, kInvalidRequest, kBodyTooLarge, kEngineRejected, kServerRateLimit, kBreakerOpen, kCount
};
std::string_view reject_reason_label(RejectReason reason);

// OpenAI finish reasons plus "abort" (cancelled, deadline, shutdown).
enum class FinishLabel : uint8_t { kStop, kLength, kAbort, kCount };

class ServerMetrics {
 public:
  Histogram time_to_first_token{ttft_buckets()};
  Histogram inter_token_latency{inter_token_buckets()};
  Histogram e2e_request_latency{request_latency_buckets()};
  Histogram request_queue_time{request_latency_buckets()};

  std::atomic<uint64_t> prompt_tokens{0};
  std::atomic<uint64_t> generation_tokens{0};
  std::atomic<uint64_t> cached_tokens{0};
  std::atomic<int64_t> open_connections{0};
  std::atomic<int64_t> requests_in_flight{0};     // accepted completions not yet answered
  std::atomic<int64_t> requests_queued{0};        // ... of which no output has arrived yet
  std::atomic<uint64_t> constrained_requests{0};  // with a grammar (response_format, forced tool calls)
  std::atomic<uint64_t> tool_calls{0};            // calls parsed from outputs and returned
  std::atomic<uint64_t> malformed_tool_calls{0};  // outputs that began a call but were not one
  // Model reloads by result: reloaded, unchanged (the same file), failed
  // (the old model kept serving), refused as busy.
  std::array<std::atomic<uint64_t>, 4> reloads{};

  void count_rejection(RejectReason reason) { rejections_[static_cast<size_t>(reason)].fetch_add(1); }
  void count_finish(FinishLabel label) { finishes_[static_cast<size_t>(label)].fetch_add(1); }
  uint64_t rejections(RejectReason reason) const { return rejections_[static_cast<size_t>(reason)].load(); }
  uint64_t finishes(FinishLabel label) const { return finishes_[static_cast<size_t>(label)].load(); }
  // The final status of a completion request (answered, refused, failed),
  // by class: what an error-rate alert divides.
  void count_response(int status) {
    const size_t index = status >= 500 ? 2 : status >= 400 ? 1 : 0;
    responses_[index].fetch_add(1);
  }
  uint64_t responses(size_t status_class_index) const { return responses_[status_class_index].load(); }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(RejectReason::kCount)> rejections_{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(FinishLabel::kCount)> finishes_{};
  std::array<std::atomic<uint64_t>, 3> responses_{};  // 2xx (and 1xx/3xx), 4xx, 5xx
};

struct MetricsInputs {
  const EngineStats* engine = nullptr;  // null while the model loads
  const ServerMetrics* server = nullptr;
  const BreakerSnapshot* breaker = nullptr;  // null until the engine runs
  const SpanExporterStats* tracing = nullptr;  // null without --otlp-endpoint
  uint64_t grammar_compiles = 0;        // GrammarCache: grammars compiled ...
  uint64_t grammar_cache_hits = 0;      // ... and found compiled
  ProcessStats process;
  std::string version;
  std::string model_name;
  std::string model_file;               // the serving model's file name and content hash (serving_model.h)
  std::string model_hash;
  bool ready = false;
};

// The Prometheus text exposition (format 0.0.4) of everything.
std::string render_metrics(const MetricsInputs& inputs);

}  // namespace keel::server
