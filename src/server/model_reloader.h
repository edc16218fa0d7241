// ModelReloader: swaps the serving model without dropping a request
// (SIGHUP, or POST /admin/reload with the admin key).
//
// A reload runs on its own thread, one at a time:
//   1. the app's Load re-reads the configuration and, when it names another
//      model file (or the same path with other bytes), loads it; an
//      unchanged model is left as it is;
//   2. the new model is validated before it takes traffic: its engine
//      starts and runs a short greedy generation that must end normally;
//   3. ServerState::install swaps it in: every request from then on runs on
//      it, while requests already running finish on the old one, which is
//      released when the last of them ends.
// Any failure leaves the old model serving (a rollback: it never stopped)
// and is reported to the caller, in the log and in
// keel:model_reloads_total{result="failure"}.
//
// Memory: during a reload both models are resident (the old one until its
// requests drain). A reload is refused while the model that the previous
// one replaced still drains, so there are never more than two.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.h"
#include "server/server_state.h"

namespace keel::server {

struct ReloadOutcome {
  enum class Kind { kReloaded, kUnchanged, kFailed, kBusy };
  Kind kind = Kind::kFailed;
  std::string message;
};

class ModelReloader {
 public:
  // Loads what the configuration names now; nullopt when that is
  // `serving` (the same path, size and modification time).
  using Load = std::function<Result<std::optional<LoadedModel>>(const ServingModel& serving)>;

  ModelReloader(ServerState& state, Load load) : state_(state), load_(std::move(load)) {}
  ~ModelReloader() { stop(); }

  // Starts a reload unless one is under way (then returns a kBusy outcome
  // at once and never calls `done`). `done` runs on the reload's thread.
  std::optional<ReloadOutcome> begin(std::function<void(const ReloadOutcome&)> done);
  // The model the last reload replaced, while requests still hold it.
  std::shared_ptr<ServingModel> replaced() const { return replaced_.lock(); }

  // Waits for a reload under way; it installs nothing once stop() began.
  // No reload starts after this.
  void stop();

 private:
  ReloadOutcome run();
  ReloadOutcome fail(std::string message);

  ServerState& state_;
  Load load_;
  std::mutex mutex_;                 // guards thread_ and stopped_ in begin/stop
  std::thread thread_;
  std::atomic<bool> busy_{false};
  std::atomic<bool> stopping_{false};
  std::weak_ptr<ServingModel> replaced_;  // the model the last reload swapped out, until it drains
};

}  // namespace keel::server
