// The HTTP answer to an engine refusal (Engine::submit), chosen by the
// refusal's reason code — never by its wording, which is for people:
//   invalid request, too long  -> 400 (retrying the same request cannot help)
//   queue full                 -> 429 with Retry-After (retrying later may)
//   shutting down, failed      -> 503 (this server cannot take it; another may)
#pragma once

#include "engine/submit_result.h"
#include "server/api_error.h"

namespace keel::server {

ApiError refusal_error(const SubmitRefusal& refusal);

}  // namespace keel::server
