#include "engine/single_request.h"

#include <algorithm>

#include "model/model.h"

namespace keel {

EngineOptions single_request_options(const Model& model, int64_t prompt_length, int64_t max_tokens,
                                     EngineOptions base) {
  const int64_t context = model.config().context_length > 0 ? model.config().context_length : INT32_MAX;
  base.max_seqs = 1;
  base.max_waiting = 1;
  base.max_context = static_cast<int32_t>(std::clamp<int64_t>(prompt_length + max_tokens, 1, context));
  base.kv_cache_memory = 0;  // room for exactly that one sequence
  return base;
}

Result<SingleRequestResult> run_single_request(Engine& engine, Request request,
                                               const std::function<void(const StreamUpdate&)>& on_update) {
  SubmitResult submitted = engine.submit(std::move(request));
  if (!submitted.ok()) return Error{submitted.error().message};
  const RequestHandle handle = std::move(submitted).value();
  SingleRequestResult result;
  StreamUpdate update;
  while (true) {
    const bool stepped = engine.step_once();
    while (handle.stream().read(update)) {
      result.tokens.insert(result.tokens.end(), update.tokens.begin(), update.tokens.end());
      result.text += update.text;
      result.usage = update.usage;
      if (on_update) on_update(update);
      if (update.finish) result.finish = *update.finish;
    }
    // The step that finished the request wrote its last update, read above.
    if (handle.finished()) break;
    if (!stepped && !handle.finished()) return Error{"the engine stopped stepping before the request finished"};
  }
  if (result.finish.cause == FinishCause::kEngineError) return Error{result.finish.error};
  return result;
}

}  // namespace keel
