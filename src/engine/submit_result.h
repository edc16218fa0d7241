// SubmitResult: what Engine::submit answers — a RequestHandle, or a
// refusal that says why in two ways: a reason code for programs (the
// server maps it to an HTTP status without reading prose) and a message
// for people (it names the problem and, where there is one, the fix).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/check.h"
#include "engine/request_handle.h"

namespace keel {

enum class RefusalReason : uint8_t {
  kInvalidRequest,  // the request itself is wrong (empty prompt, bad parameters); retrying will not help
  kTooLong,         // prompt + max_tokens does not fit --max-context or the whole KV pool
  kQueueFull,       // the waiting queue is full (--max-waiting); retrying later may succeed
  kShuttingDown,    // shutdown() was called; the engine admits nothing more
  kFailed,          // the step loop failed (EngineStats::failure says why); nothing runs any more
};

// "invalid_request", "too_long", "queue_full", "shutting_down", "failed".
std::string_view refusal_reason_name(RefusalReason reason);

struct SubmitRefusal {
  RefusalReason reason = RefusalReason::kInvalidRequest;
  std::string message;
};

// The same interface as Result<RequestHandle>, with a SubmitRefusal as the error.
class [[nodiscard]] SubmitResult {
 public:
  SubmitResult(RequestHandle handle) : state_(std::move(handle)) {}     // NOLINT: implicit by design
  SubmitResult(SubmitRefusal refusal) : state_(std::move(refusal)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<RequestHandle>(state_); }
  explicit operator bool() const { return ok(); }

  RequestHandle& value() & { KEEL_CHECK(ok(), error_message()); return std::get<RequestHandle>(state_); }
  const RequestHandle& value() const& { KEEL_CHECK(ok(), error_message()); return std::get<RequestHandle>(state_); }
  RequestHandle&& value() && {
    KEEL_CHECK(ok(), error_message());
    return std::get<RequestHandle>(std::move(state_));
  }
  RequestHandle& operator*() & { return value(); }
  const RequestHandle& operator*() const& { return value(); }
  RequestHandle* operator->() { return &value(); }
  const RequestHandle* operator->() const { return &value(); }

  const SubmitRefusal& error() const { return std::get<SubmitRefusal>(state_); }

 private:
  std::string error_message() const { return ok() ? std::string() : error().message; }
  std::variant<RequestHandle, SubmitRefusal> state_;
};

}  // namespace keel
