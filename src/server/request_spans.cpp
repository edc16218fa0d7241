#include "server/request_spans.h"

namespace keel::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Unix nanoseconds of a steady-clock instant, through the offset between
// the two clocks now (the steady clock is what the server measured with).
class UnixTime {
 public:
  UnixTime()
      : offset_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() -
                   std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count()) {}
  uint64_t at(SteadyClock::time_point instant) const {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(instant.time_since_epoch()).count() + offset_ns_);
  }

 private:
  int64_t offset_ns_;
};

SteadyClock::time_point after(SteadyClock::time_point start, double seconds) {
  return start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

std::vector<Span> request_spans(const TraceContext& trace, const AccessRecord& record, SteadyClock::time_point arrived) {
  const UnixTime unix_time;
  const SteadyClock::time_point ended = after(arrived, record.total_seconds);
  std::vector<Span> spans;

  Span server;
  server.trace_id = trace.trace_id;
  server.span_id = new_span_id();
  server.parent_span_id = trace.parent_span_id;
  server.name = record.method + " " + record.path;
  server.kind = SpanKind::kServer;
  server.start_unix_ns = unix_time.at(arrived);
  server.end_unix_ns = unix_time.at(ended);
  server.attributes = {{"http.request.method", record.method},
                       {"url.path", record.path},
                       {"http.response.status_code", int64_t{record.status}},
                       {"keel.request_id", record.request_id},
                       {"keel.key_name", record.key_name}};
  if (record.status == 200) {
    server.attributes.emplace_back("gen_ai.usage.input_tokens", int64_t{record.prompt_tokens});
    server.attributes.emplace_back("gen_ai.usage.output_tokens", int64_t{record.completion_tokens});
    if (!record.finish_reason.empty()) server.attributes.emplace_back("gen_ai.response.finish_reasons", record.finish_reason);
  }
  // A server span is an error for a 5xx only: a 4xx is the client's (OpenTelemetry's HTTP conventions).
  server.error = record.status >= 500;
  if (server.error) server.error_message = record.error;

  auto child = [&](const char* name, SteadyClock::time_point start, SteadyClock::time_point end) -> Span& {
    Span span;
    span.trace_id = trace.trace_id;
    span.span_id = new_span_id();
    span.parent_span_id = server.span_id;
    span.name = name;
    span.start_unix_ns = unix_time.at(start);
    span.end_unix_ns = unix_time.at(std::max(start, end));
    spans.push_back(std::move(span));
    return spans.back();
  };
  spans.reserve(4);
  if (record.queue_seconds >= 0) {
    const SteadyClock::time_point scheduled = after(arrived, record.queue_seconds);
    child("queued", arrived, scheduled);
    if (record.ttft_seconds >= 0) {
      const SteadyClock::time_point first_token = after(arrived, record.ttft_seconds);
      Span& prefill = child("prefill", scheduled, first_token);
      prefill.attributes = {{"gen_ai.usage.input_tokens", int64_t{record.prompt_tokens}},
                            {"keel.cached_tokens", int64_t{record.cached_tokens}},
                            {"keel.computed_prompt_tokens", int64_t{record.prompt_tokens - record.cached_tokens}}};
      Span& decode = child("decode", first_token, ended);
      decode.attributes = {{"gen_ai.usage.output_tokens", int64_t{record.completion_tokens}}};
    }
  }
  spans.insert(spans.begin(), std::move(server));
  return spans;
}

}  // namespace keel::server
