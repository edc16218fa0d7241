// AccessLog: one JSON line per request, for operators and log pipelines.
// It carries the key's name, never the key, and marks requests slower than
// --slow-request-ms with "slow": true (and a warning line).
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace keel::server {

struct AccessRecord {
  std::string request_id;
  std::string trace_id;        // 32 hex digits: the caller's traceparent trace, or a new one
  std::string method;
  std::string path;
  std::string key_name;
  int status = 0;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
  double queue_seconds = -1;   // < 0: not applicable
  double ttft_seconds = -1;
  double total_seconds = 0;
  std::string finish_reason;
  std::string error;           // message of a 4xx/5xx
};

class AccessLog {
 public:
  // `path`: "-" for stderr, "" to disable, otherwise a file appended to.
  AccessLog(const std::string& path, int64_t slow_request_ms);
  ~AccessLog();
  void write(const AccessRecord& record);

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  int64_t slow_request_ms_;
};

}  // namespace keel::server
