#include "server/engine_refusal.h"

namespace keel::server {

ApiError refusal_error(const SubmitRefusal& refusal) {
  switch (refusal.reason) {
    case RefusalReason::kInvalidRequest:
    case RefusalReason::kTooLong: return bad_request(refusal.message);
    case RefusalReason::kQueueFull: return too_many_requests(refusal.message, 1.0);
    case RefusalReason::kShuttingDown:
    case RefusalReason::kFailed: return unavailable(refusal.message);
  }
  return unavailable(refusal.message);
}

}  // namespace keel::server
