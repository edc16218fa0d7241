#include "server/admin_reload.h"

#include <mutex>

#include "server/api_error.h"
#include "server/api_handlers.h"
#include "server/api_keys.h"
#include "server/openai_response.h"
#include "server/model_reloader.h"

namespace keel::server {
namespace {

HttpResponse outcome_response(const ServerState& state, const ReloadOutcome& outcome, const std::string& request_id) {
  using Kind = ReloadOutcome::Kind;
  if (outcome.kind == Kind::kFailed)
    return error_response(ApiError{500, "the reload failed; the previous model keeps serving: " + outcome.message, {},
                                   std::nullopt},
                          request_id);
  if (outcome.kind == Kind::kBusy) return error_response(ApiError{409, outcome.message, {}, std::nullopt}, request_id);
  nlohmann::json body = {{"status", outcome.kind == Kind::kReloaded ? "reloaded" : "unchanged"},
                         {"message", outcome.message}};
  if (const auto model = state.serving())
    body["model"] = {{"id", model->name()}, {"file", model->file_name()}, {"content_hash", model->content_hash()}};
  HttpResponse response{200, "application/json", {}, dump_json(body), false};
  response.headers.emplace_back("X-Request-Id", request_id);
  return response;
}

// Waits for the reload's outcome; the reload runs on, whatever the client does.
class ReloadResponse final : public DeferredResponse {
 public:
  ReloadResponse(ServerState& state, ModelReloader& reloader, std::string request_id)
      : state_(state), reloader_(reloader), request_id_(std::move(request_id)) {}

  void start(std::function<void()> wake) override {
    {
      std::lock_guard lock(slot_->mutex);
      slot_->wake = std::move(wake);
    }
    // The reload thread fills the slot, which outlives this response if the client leaves.
    auto immediate = reloader_.begin([slot = slot_](const ReloadOutcome& outcome) {
      std::lock_guard lock(slot->mutex);
      slot->outcome = outcome;
      if (slot->wake) slot->wake();
    });
    if (immediate) {
      std::lock_guard lock(slot_->mutex);
      slot_->outcome = *immediate;
      if (slot_->wake) slot_->wake();
    }
  }
  void poll(DeferredOutput& out) override {
    std::lock_guard lock(slot_->mutex);
    if (!slot_->outcome) return;
    out.head = outcome_response(state_, *slot_->outcome, request_id_);
    out.done = true;
  }
  void abandon() override {
    std::lock_guard lock(slot_->mutex);
    slot_->wake = nullptr;
  }

 private:
  struct Slot {
    std::mutex mutex;
    std::function<void()> wake;
    std::optional<ReloadOutcome> outcome;
  };
  ServerState& state_;
  ModelReloader& reloader_;
  std::string request_id_;
  std::shared_ptr<Slot> slot_ = std::make_shared<Slot>();
};

}  // namespace

HandlerResult handle_admin_reload(ServerState& state, ModelReloader* reloader, const HttpRequest& request,
                                  const std::string& request_id) {
  if (state.config.admin_key.empty())
    return error_response(ApiError{403, "reloading over HTTP is off: start keel serve with --admin-key (SIGHUP also "
                                         "reloads)", {}, std::nullopt},
                          request_id);
  if (!constant_time_equal(bearer_token(request.header("authorization")), state.config.admin_key))
    return error_response(unauthorized("this endpoint needs the admin key: send 'Authorization: Bearer ADMIN_KEY'"),
                          request_id);
  if (reloader == nullptr) return error_response(unavailable("the model is loading", 5.0), request_id);
  return std::make_shared<ReloadResponse>(state, *reloader, request_id);
}

}  // namespace keel::server
