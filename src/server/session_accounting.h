// account_session: what a completion request leaves behind when it ends,
// however it ends — its response counted by status, its tokens, latency
// and finish reasons in the metrics, its key's concurrency slot released,
// and its line in the access log.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "engine/request.h"
#include "server/completion_session.h"
#include "server/server_state.h"

namespace keel::server {

struct SessionOutcome {
  int status = 200;
  std::string error;                               // empty on success
  Usage usage;                                     // summed over the choices
  std::chrono::steady_clock::time_point ended;
  std::chrono::steady_clock::time_point first_output{};  // first scheduled (zero: never)
  std::chrono::steady_clock::time_point first_token{};   // first token of any choice (zero: none)
  std::vector<std::optional<FinishCause>> causes;  // per choice; none when it did not finish
};

void account_session(ServerState& state, const SessionInfo& info, const SessionOutcome& outcome);

// The end of any request the access log records (a session's, or a
// rejection's): its log line, and its spans when it is traced.
void record_request_end(ServerState& state, AccessRecord& record, const TraceContext& trace,
                        std::chrono::steady_clock::time_point arrived);

}  // namespace keel::server
