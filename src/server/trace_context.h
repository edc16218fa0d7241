// TraceContext: the W3C Trace Context (https://www.w3.org/TR/trace-context/)
// a request carries in its `traceparent` header, or a fresh one when it
// carries none (or a malformed one). Every request gets a trace id, so the
// access log can name it whether or not tracing is on.
//
//   traceparent: 00-<trace-id: 32 hex>-<parent-id: 16 hex>-<flags: 2 hex>
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::server {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

struct TraceContext {
  TraceId trace_id{};
  std::optional<SpanId> parent_span_id;  // the caller's span; none for a trace that starts here
  bool sampled = false;                  // spans of this request are exported
};

// The fields of a valid traceparent, or nothing: wrong length or version
// ("ff" is invalid; a later version may append fields after a '-'),
// non-hex or upper-case digits, or an all-zero trace or parent id.
struct ParsedTraceparent {
  TraceId trace_id{};
  SpanId parent_span_id{};
  uint8_t flags = 0;
};
std::optional<ParsedTraceparent> parse_traceparent(std::string_view header);

// The context of one request: the caller's trace when its traceparent is
// valid, else a new trace. Sampling follows the caller's sampled flag when
// there is a caller (parent-based, as OpenTelemetry's default sampler), and
// otherwise keeps `sample_ratio` of the new traces, decided by the trace id
// itself so the decision is the same wherever it is made.
TraceContext trace_context_for(std::string_view traceparent_header, double sample_ratio);

TraceId new_trace_id();
SpanId new_span_id();

// Lower-case hex, as traceparent and OTLP/JSON write ids.
std::string to_hex(const uint8_t* bytes, size_t size);
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& id) {
  return to_hex(id.data(), N);
}

// "00-<trace>-<span>-<flags>": the header that names `span_id` as the parent
// of whatever this request calls next.
std::string format_traceparent(const TraceId& trace_id, const SpanId& span_id, bool sampled);

}  // namespace keel::server
