// request_spans: the spans of one finished request, built from its access
// record when it ends (never on the engine thread):
//
//   "POST /v1/chat/completions"   server span, arrival -> response end
//     ├─ queued                   arrival -> first scheduled by the engine
//     ├─ prefill                  first scheduled -> first token
//     └─ decode                   first token -> response end
//
// A stage the request never reached has no span (a rejected request has the
// server span alone). Token counts are attributes, under OpenTelemetry's
// gen_ai.usage.* names where one exists.
#pragma once

#include <chrono>
#include <vector>

#include "server/access_log.h"
#include "server/span.h"
#include "server/trace_context.h"

namespace keel::server {

std::vector<Span> request_spans(const TraceContext& trace, const AccessRecord& record,
                                std::chrono::steady_clock::time_point arrived);

}  // namespace keel::server
