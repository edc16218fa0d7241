// Engine refusals become HTTP statuses by their reason code.
#include "server/engine_refusal.h"

#include <gtest/gtest.h>

namespace keel::server {
namespace {

TEST(EngineRefusalStatus, MapsReasonCodesNotWording) {
  // The wording is deliberately misleading: only the code may decide.
  const std::string message = "the queue is full of shutting down requests";
  EXPECT_EQ(refusal_error({RefusalReason::kInvalidRequest, message}).status, 400);
  EXPECT_EQ(refusal_error({RefusalReason::kTooLong, message}).status, 400);
  const ApiError full = refusal_error({RefusalReason::kQueueFull, "busy"});
  EXPECT_EQ(full.status, 429);
  ASSERT_TRUE(full.retry_after.has_value());
  EXPECT_GT(*full.retry_after, 0.0);
  EXPECT_EQ(refusal_error({RefusalReason::kShuttingDown, "bye"}).status, 503);
  const ApiError failed = refusal_error({RefusalReason::kFailed, "the engine failed: backend error"});
  EXPECT_EQ(failed.status, 503);
  EXPECT_EQ(failed.message, "the engine failed: backend error");
}

}  // namespace
}  // namespace keel::server
