#include "engine/submit_result.h"

namespace keel {

std::string_view refusal_reason_name(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kInvalidRequest: return "invalid_request";
    case RefusalReason::kTooLong: return "too_long";
    case RefusalReason::kQueueFull: return "queue_full";
    case RefusalReason::kShuttingDown: return "shutting_down";
    case RefusalReason::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace keel
