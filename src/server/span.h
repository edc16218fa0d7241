// Span: one timed operation of a trace, in the shape OTLP exports
// (opentelemetry/proto/trace/v1/trace.proto), with only the fields keel
// fills: ids, name, kind, times, attributes and an error status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "server/trace_context.h"

namespace keel::server {

enum class SpanKind { kInternal = 1, kServer = 2 };  // OTLP's enum values

using AttributeValue = std::variant<std::string, int64_t, double, bool>;

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  std::optional<SpanId> parent_span_id;
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  uint64_t start_unix_ns = 0;
  uint64_t end_unix_ns = 0;
  std::vector<std::pair<std::string, AttributeValue>> attributes;
  bool error = false;          // OTLP status ERROR with `error_message`; otherwise UNSET
  std::string error_message;
};

}  // namespace keel::server
