#include "server/session_accounting.h"

#include "server/request_spans.h"

namespace keel::server {
namespace {

double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The metric's finish label: OpenAI's stop and length, and abort for a
// request cancelled, expired, shut down or failed.
FinishLabel finish_label(FinishCause cause) {
  switch (cause) {
    case FinishCause::kEndOfGeneration:
    case FinishCause::kStopTokenId:
    case FinishCause::kStopString:
    case FinishCause::kGrammarComplete: return FinishLabel::kStop;
    case FinishCause::kMaxTokens:
    case FinishCause::kContextFull: return FinishLabel::kLength;
    case FinishCause::kCancelled:
    case FinishCause::kDeadline:
    case FinishCause::kShutdown:
    case FinishCause::kEngineError: return FinishLabel::kAbort;
  }
  return FinishLabel::kAbort;
}

}  // namespace

void account_session(ServerState& state, const SessionInfo& info, const SessionOutcome& outcome) {
  state.metrics.count_response(outcome.status);
  if (info.key_index && state.limiter) state.limiter->release(*info.key_index);

  AccessRecord record;
  record.request_id = info.request_id;
  record.method = info.method;
  record.path = info.path;
  record.key_name = info.key_name;
  record.status = outcome.status;
  record.prompt_tokens = outcome.usage.prompt_tokens;
  record.completion_tokens = outcome.usage.completion_tokens;
  record.cached_tokens = outcome.usage.cached_tokens;
  record.total_seconds = seconds_between(info.arrived, outcome.ended);
  record.error = outcome.error;
  using TimePoint = std::chrono::steady_clock::time_point;
  if (outcome.first_output != TimePoint{}) record.queue_seconds = seconds_between(info.arrived, outcome.first_output);
  if (outcome.first_token != TimePoint{}) record.ttft_seconds = seconds_between(info.arrived, outcome.first_token);
  if (!outcome.causes.empty() && outcome.causes[0]) record.finish_reason = std::string(finish_reason(*outcome.causes[0]));

  if (outcome.status == 200 && !outcome.causes.empty()) {
    state.metrics.prompt_tokens.fetch_add(static_cast<uint64_t>(outcome.usage.prompt_tokens));
    state.metrics.generation_tokens.fetch_add(static_cast<uint64_t>(outcome.usage.completion_tokens));
    state.metrics.cached_tokens.fetch_add(static_cast<uint64_t>(outcome.usage.cached_tokens));
    state.metrics.e2e_request_latency.observe(record.total_seconds);
  }
  for (const auto& cause : outcome.causes)
    state.metrics.count_finish(outcome.status == 200 && cause ? finish_label(*cause) : FinishLabel::kAbort);
  record_request_end(state, record, info.trace, info.arrived);
}

void record_request_end(ServerState& state, AccessRecord& record, const TraceContext& trace,
                        std::chrono::steady_clock::time_point arrived) {
  record.trace_id = to_hex(trace.trace_id);
  if (state.access_log) state.access_log->write(record);
  if (state.span_exporter && trace.sampled) state.span_exporter->offer(request_spans(trace, record, arrived));
}

}  // namespace keel::server
