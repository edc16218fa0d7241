#include "server/access_log.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "core/log.h"

namespace keel::server {

AccessLog::AccessLog(const std::string& path, int64_t slow_request_ms) : slow_request_ms_(slow_request_ms) {
  if (path == "-") {
    file_ = stderr;
  } else if (!path.empty()) {
    file_ = std::fopen(path.c_str(), "a");
    owned_ = file_ != nullptr;
    if (!file_) spdlog::error("cannot open access log {}; access logging is off", path);
  }
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(file_);
}

void AccessLog::write(const AccessRecord& r) {
  const bool slow = slow_request_ms_ > 0 && r.total_seconds * 1000.0 > static_cast<double>(slow_request_ms_);
  if (slow)
    spdlog::warn("slow request {} (trace {}) {} {}: {:.3f} s (queue {:.3f} s, ttft {:.3f} s, {} prompt / {} completion tokens)",
                 r.request_id, r.trace_id, r.method, r.path, r.total_seconds, r.queue_seconds, r.ttft_seconds, r.prompt_tokens,
                 r.completion_tokens);
  if (!file_) return;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  nlohmann::json line = {
      {"ts", std::chrono::duration<double>(now).count()},
      {"request_id", r.request_id},
      {"trace_id", r.trace_id},
      {"method", r.method},
      {"path", r.path},
      {"key", r.key_name},
      {"status", r.status},
      {"prompt_tokens", r.prompt_tokens},
      {"completion_tokens", r.completion_tokens},
      {"cached_tokens", r.cached_tokens},
      {"queue_s", r.queue_seconds >= 0 ? nlohmann::json(r.queue_seconds) : nlohmann::json(nullptr)},
      {"ttft_s", r.ttft_seconds >= 0 ? nlohmann::json(r.ttft_seconds) : nlohmann::json(nullptr)},
      {"total_s", r.total_seconds},
      {"finish_reason", r.finish_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.finish_reason)},
  };
  if (!r.error.empty()) line["error"] = r.error;
  if (slow) line["slow"] = true;
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

}  // namespace keel::server
