// What the client saw of one request: when each piece of output arrived and
// whether the response was whole. Every report is computed from these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace keel::bench {

struct RequestRecord {
  double start_s = 0;                 // when it was sent, seconds since the run began
  double ttft_s = 0;                  // until the first non-empty output text
  double e2e_s = 0;                   // until the response ended
  std::vector<double> itl_s;          // gaps between consecutive output chunks
  int64_t prompt_tokens = 0;          // as the server's usage reports them
  int64_t output_tokens = 0;          // usage, or the chunks counted when no usage came
  int64_t cached_tokens = 0;          // usage.prompt_tokens_details.cached_tokens
  int32_t requested_output_tokens = 0;
  int http_status = 0;                // 0 when no response head arrived
  bool ok = false;
  // Why it failed, as a short category: "http 429", "connection", "timeout",
  // "truncated", "empty", "short output", "error event", "bad chunk", "cancelled".
  std::string failure;
  std::string failure_detail;         // the message behind it, for the log

  // Time per output token after the first: the decode speed this request saw.
  double tpot_s() const { return output_tokens > 1 ? (e2e_s - ttft_s) / static_cast<double>(output_tokens - 1) : 0; }
};

}  // namespace keel::bench
