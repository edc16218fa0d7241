// render_metrics: every metric keel exports, with vLLM's names and meanings
// (under keel:) where vLLM has one, so that existing dashboards work.
#include "server/server_metrics.h"

#include <chrono>

#include "server/prometheus_writer.h"

namespace keel::server {

std::string_view reject_reason_label(RejectReason reason) {
  switch (reason) {
    case RejectReason::kQueueFull: return "queue_full";
    case RejectReason::kQueueTimeout: return "queue_timeout";
    case RejectReason::kRateLimit: return "rate_limit";
    case RejectReason::kTokenLimit: return "token_limit";
    case RejectReason::kConcurrencyLimit: return "concurrency_limit";
    case RejectReason::kUnauthorized: return "unauthorized";
    case RejectReason::kNotReady: return "not_ready";
    case RejectReason::kDraining: return "draining";
    case RejectReason::kInvalidRequest: return "invalid_request";
    case RejectReason::kBodyTooLarge: return "body_too_large";
    case RejectReason::kEngineRejected: return "engine_rejected";
    case RejectReason::kServerRateLimit: return "server_rate_limit";
    case RejectReason::kBreakerOpen: return "breaker_open";
    case RejectReason::kCount: break;
  }
  return "unknown";
}

namespace {

void render_engine(PrometheusWriter& w, const EngineStats& e) {
  w.family("keel:num_requests_running", "gauge", "Requests running in the engine (holding KV blocks).");
  w.sample("keel:num_requests_running", e.running);
  w.family("keel:num_requests_waiting", "gauge", "Requests admitted to the engine and waiting to run.");
  w.sample("keel:num_requests_waiting", e.waiting);
  w.family("keel:kv_cache_usage_perc", "gauge", "Fraction of KV blocks in use (1 = full).");
  w.sample("keel:kv_cache_usage_perc", e.blocks_total > 0 ? static_cast<double>(e.blocks_used) / e.blocks_total : 0.0);
  w.family("keel:kv_blocks", "gauge", "KV blocks by state; free + used + cached = total.");
  w.sample("keel:kv_blocks", e.blocks_free, "state=\"free\"");
  w.sample("keel:kv_blocks", e.blocks_used, "state=\"used\"");
  w.sample("keel:kv_blocks", e.blocks_cached, "state=\"cached\"");
  w.family("keel:kv_blocks_capacity", "gauge", "KV blocks in the pool, reserved at start.");
  w.sample("keel:kv_blocks_capacity", e.blocks_total);
  w.family("keel:kv_block_size_tokens", "gauge", "Tokens per KV block.");
  w.sample("keel:kv_block_size_tokens", e.block_size);
  if (e.device_memory_total > 0) {  // a GPU: what this process reserved on it, by use
    w.family("keel:device_memory_total_bytes", "gauge", "The GPU's memory.");
    w.sample("keel:device_memory_total_bytes", static_cast<double>(e.device_memory_total));
    w.family("keel:device_memory_reserved_bytes", "gauge",
             "GPU memory this process reserved, by use (weights, kv_cache, workspace); fixed after start.");
    w.sample("keel:device_memory_reserved_bytes", static_cast<double>(e.device_weight_bytes), "use=\"weights\"");
    w.sample("keel:device_memory_reserved_bytes", static_cast<double>(e.device_kv_bytes), "use=\"kv_cache\"");
    w.sample("keel:device_memory_reserved_bytes", static_cast<double>(e.device_workspace_bytes),
             "use=\"workspace\"");
  }
  w.family("keel:kv_cache_fragmentation_ratio", "gauge",
           "Unfilled token slots over allocated slots in running sequences' blocks.");
  w.sample("keel:kv_cache_fragmentation_ratio", e.fragmentation);
  w.family("keel:prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.");
  w.sample("keel:prefix_cache_queries_total", static_cast<double>(e.prefix_query_tokens));
  w.family("keel:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache.");
  w.sample("keel:prefix_cache_hits_total", static_cast<double>(e.prefix_hit_tokens));
  w.family("keel:prefix_cache_evictions_total", "counter", "Cached KV blocks reclaimed for new content.");
  w.sample("keel:prefix_cache_evictions_total", static_cast<double>(e.evictions));
  w.family("keel:prefix_cache_expired_blocks_total", "counter",
           "Cached KV blocks returned to the free list after --prefix-cache-ttl unused.");
  w.sample("keel:prefix_cache_expired_blocks_total", static_cast<double>(e.expired_blocks));
  w.family("keel:num_preemptions_total", "counter", "Running sequences sent back to wait (recompute).");
  w.sample("keel:num_preemptions_total", static_cast<double>(e.preemptions));
  w.family("keel:engine_steps_total", "counter", "Engine steps run.");
  w.sample("keel:engine_steps_total", static_cast<double>(e.steps));
  w.family("keel:engine_step_duration_seconds_total", "counter", "Time spent in engine steps.");
  w.sample("keel:engine_step_duration_seconds_total", e.total_step_seconds);
  w.family("keel:engine_last_step_duration_seconds", "gauge", "Duration of the latest engine step.");
  w.sample("keel:engine_last_step_duration_seconds", e.last_step_seconds);
  w.family("keel:engine_last_step_tokens", "gauge", "Token rows in the latest engine step.");
  w.sample("keel:engine_last_step_tokens", e.last_step_tokens);
  w.family("keel:engine_tokens_computed_total", "counter", "Token rows run through the model.");
  w.sample("keel:engine_tokens_computed_total", static_cast<double>(e.tokens_computed));
  w.family("keel:step_loop_allocations_total", "counter", "Heap allocations inside the engine step loop.");
  w.sample("keel:step_loop_allocations_total", static_cast<double>(e.step_loop_allocations));
  const double since = e.heartbeat == std::chrono::steady_clock::time_point{}
                           ? 0.0
                           : std::chrono::duration<double>(std::chrono::steady_clock::now() - e.heartbeat).count();
  w.family("keel:seconds_since_last_step", "gauge", "Seconds since the engine loop last completed a step or idled.");
  w.sample("keel:seconds_since_last_step", since);
  w.family("keel:engine_step_failures_total", "counter", "Engine steps that failed; only their requests ended.");
  w.sample("keel:engine_step_failures_total", static_cast<double>(e.step_failures));
  w.family("keel:kv_invariant_violations_total", "counter",
           "Failed KV cache consistency checks; each quarantined and rebuilt the pool.");
  w.sample("keel:kv_invariant_violations_total", static_cast<double>(e.kv_invariant_violations));
  w.family("keel:engine_restarts_total", "counter", "In-process engine rebuilds (runner and KV pool re-reserved).");
  w.sample("keel:engine_restarts_total", static_cast<double>(e.restarts));
}

void render_breaker(PrometheusWriter& w, const BreakerSnapshot& b) {
  w.family("keel:circuit_breaker_state", "gauge", "The circuit breaker: 0 closed, 1 open, 2 half-open.");
  w.sample("keel:circuit_breaker_state", static_cast<int>(b.state));
  w.family("keel:circuit_breaker_transitions_total", "counter", "Circuit breaker transitions, by the state entered.");
  for (int i = 0; i < 3; ++i)
    w.sample("keel:circuit_breaker_transitions_total", static_cast<double>(b.transitions[i]),
             "state=\"" + std::string(breaker_state_name(static_cast<BreakerState>(i))) + "\"");
}

void render_server(PrometheusWriter& w, const ServerMetrics& s) {
  w.histogram("keel:time_to_first_token_seconds", "Time from arrival to the first generated token.",
              s.time_to_first_token.snapshot());
  w.histogram("keel:inter_token_latency_seconds", "Time between consecutive generated tokens.",
              s.inter_token_latency.snapshot());
  w.histogram("keel:e2e_request_latency_seconds", "Time from arrival to the last token.",
              s.e2e_request_latency.snapshot());
  w.histogram("keel:request_queue_time_seconds", "Time from arrival until the engine produced output.",
              s.request_queue_time.snapshot());
  w.family("keel:prompt_tokens_total", "counter", "Prompt tokens of finished requests.");
  w.sample("keel:prompt_tokens_total", static_cast<double>(s.prompt_tokens.load()));
  w.family("keel:generation_tokens_total", "counter", "Generated tokens of finished requests.");
  w.sample("keel:generation_tokens_total", static_cast<double>(s.generation_tokens.load()));
  w.family("keel:cached_prompt_tokens_total", "counter", "Prompt tokens read from the prefix cache.");
  w.sample("keel:cached_prompt_tokens_total", static_cast<double>(s.cached_tokens.load()));
  w.family("keel:completion_responses_total", "counter",
           "Completion requests by the class of their final status (refusals included).");
  const char* classes[] = {"2xx", "4xx", "5xx"};
  for (size_t i = 0; i < 3; ++i)
    w.sample("keel:completion_responses_total", static_cast<double>(s.responses(i)),
             "class=\"" + std::string(classes[i]) + "\"");
  w.family("keel:request_success_total", "counter", "Finished requests by finish reason.");
  static constexpr const char* kFinish[] = {"stop", "length", "abort"};
  for (size_t i = 0; i < static_cast<size_t>(FinishLabel::kCount); ++i)
    w.sample("keel:request_success_total", static_cast<double>(s.finishes(static_cast<FinishLabel>(i))),
             std::string("finished_reason=\"") + kFinish[i] + "\"");
  w.family("keel:requests_rejected_total", "counter", "Requests turned away, by reason.");
  for (size_t i = 0; i < static_cast<size_t>(RejectReason::kCount); ++i) {
    auto reason = static_cast<RejectReason>(i);
    w.sample("keel:requests_rejected_total", static_cast<double>(s.rejections(reason)),
             "reason=\"" + std::string(reject_reason_label(reason)) + "\"");
  }
  w.family("keel:constrained_requests_total", "counter",
           "Completion requests whose output a grammar held (response_format, tool_choice required or named).");
  w.sample("keel:constrained_requests_total", static_cast<double>(s.constrained_requests.load()));
  w.family("keel:tool_calls_total", "counter", "Tool calls parsed from outputs and returned as tool_calls.");
  w.sample("keel:tool_calls_total", static_cast<double>(s.tool_calls.load()));
  w.family("keel:tool_calls_malformed_total", "counter",
           "Outputs that began a tool call but were not one (returned as content).");
  w.sample("keel:tool_calls_malformed_total", static_cast<double>(s.malformed_tool_calls.load()));
  w.family("keel:model_reloads_total", "counter",
           "Model reloads (SIGHUP, POST /admin/reload) by result; on failure the old model kept serving.");
  static constexpr const char* kReload[] = {"success", "unchanged", "failure", "busy"};
  for (size_t i = 0; i < s.reloads.size(); ++i)
    w.sample("keel:model_reloads_total", static_cast<double>(s.reloads[i].load()),
             std::string("result=\"") + kReload[i] + "\"");
  w.family("keel:http_connections_open", "gauge", "Open client connections.");
  w.sample("keel:http_connections_open", static_cast<double>(s.open_connections.load()));
  w.family("keel:requests_in_flight", "gauge", "Completion requests accepted and not yet answered.");
  w.sample("keel:requests_in_flight", static_cast<double>(s.requests_in_flight.load()));
}

}  // namespace

std::string render_metrics(const MetricsInputs& inputs) {
  PrometheusWriter w;
  if (inputs.engine) render_engine(w, *inputs.engine);
  if (inputs.breaker) render_breaker(w, *inputs.breaker);
  if (inputs.server) render_server(w, *inputs.server);
  if (inputs.tracing) {
    w.family("keel:trace_spans_exported_total", "counter", "Request spans the OTLP collector accepted.");
    w.sample("keel:trace_spans_exported_total", static_cast<double>(inputs.tracing->exported));
    w.family("keel:trace_spans_dropped_total", "counter",
             "Request spans dropped: the export queue was full, or the collector did not take them.");
    w.sample("keel:trace_spans_dropped_total", static_cast<double>(inputs.tracing->dropped_queue_full),
             "reason=\"queue_full\"");
    w.sample("keel:trace_spans_dropped_total", static_cast<double>(inputs.tracing->dropped_export_failed),
             "reason=\"export_failed\"");
  }
  w.family("keel:grammar_compiles_total", "counter", "Grammars compiled against the vocabulary (cache misses).");
  w.sample("keel:grammar_compiles_total", static_cast<double>(inputs.grammar_compiles));
  w.family("keel:grammar_cache_hits_total", "counter", "Requests whose grammar was found compiled.");
  w.sample("keel:grammar_cache_hits_total", static_cast<double>(inputs.grammar_cache_hits));
  w.family("keel:ready", "gauge", "1 when /ready answers 200.");
  w.sample("keel:ready", inputs.ready ? 1 : 0);
  w.family("keel:build_info", "gauge", "Build information; the value is always 1.");
  w.sample("keel:build_info", 1,
           "version=\"" + escape_label_value(inputs.version) + "\",model=\"" + escape_label_value(inputs.model_name) +
               "\",model_file=\"" + escape_label_value(inputs.model_file) + "\",model_hash=\"" +
               escape_label_value(inputs.model_hash) + "\"");
  w.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  w.sample("process_resident_memory_bytes", static_cast<double>(inputs.process.resident_bytes));
  w.family("keel:process_anon_swap_bytes", "gauge", "Anonymous resident memory plus swap (RssAnon + VmSwap).");
  w.sample("keel:process_anon_swap_bytes", static_cast<double>(inputs.process.anon_and_swap_bytes));
  w.family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
  w.sample("process_cpu_seconds_total", inputs.process.cpu_seconds);
  w.family("process_open_fds", "gauge", "Open file descriptors.");
  w.sample("process_open_fds", static_cast<double>(inputs.process.open_fds));
  w.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.");
  w.sample("process_start_time_seconds", inputs.process.start_time_seconds);
  return w.text();
}

}  // namespace keel::server
