#include "server/model_reloader.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "server/probe_generation.h"

namespace keel::server {
namespace {

using Clock = std::chrono::steady_clock;

// The validation a new model passes before it takes traffic: a few greedy
// tokens through its own engine, ended normally, within a generous time.
constexpr int32_t kSelfTestTokens = 4;
constexpr auto kSelfTestTimeout = std::chrono::seconds(120);

Status self_test(ServingModel& model) {
  SubmitResult submitted = model.engine().submit(probe_request(model.tokenizer(), kSelfTestTokens));
  if (!submitted.ok()) return Error{"its engine refused the self-test: " + submitted.error().message};
  const RequestHandle handle = std::move(submitted).value();
  const auto deadline = Clock::now() + kSelfTestTimeout;
  std::optional<Finish> finish;
  int32_t tokens = 0;
  StreamUpdate update;
  while (!finish) {
    if (Clock::now() > deadline) {
      model.engine().cancel(handle);
      return Error{"its self-test generation did not finish within 120 s"};
    }
    if (!handle.stream().wait_and_read(update, std::chrono::milliseconds(50))) continue;
    tokens += static_cast<int32_t>(update.tokens.size());
    if (update.finish) finish = update.finish;
  }
  if (!probe_succeeded(*finish) || tokens != kSelfTestTokens)
    return Error{"its self-test generation ended with '" + std::string(finish_cause_name(finish->cause)) + "'" +
                 (finish->error.empty() ? "" : ": " + finish->error)};
  return ok_status();
}

size_t index_of(ReloadOutcome::Kind kind) { return static_cast<size_t>(kind); }

}  // namespace

std::optional<ReloadOutcome> ModelReloader::begin(std::function<void(const ReloadOutcome&)> done) {
  std::lock_guard lock(mutex_);
  auto refuse = [&](std::string message) {
    state_.metrics.reloads[index_of(ReloadOutcome::Kind::kBusy)].fetch_add(1);
    spdlog::warn("reload refused: {}", message);
    return ReloadOutcome{ReloadOutcome::Kind::kBusy, std::move(message)};
  };
  if (stopping_.load()) return refuse("the server is shutting down");
  if (busy_.load()) return refuse("a reload is already under way");
  if (!replaced_.expired())
    return refuse("the model that the previous reload replaced still finishes its requests; "
                  "try again when they are done (two models at most are resident)");
  if (thread_.joinable()) thread_.join();  // the previous reload, finished
  busy_.store(true);
  thread_ = std::thread([this, done = std::move(done)] {
    const ReloadOutcome outcome = run();
    busy_.store(false);
    if (done) done(outcome);
  });
  return std::nullopt;
}

void ModelReloader::stop() {
  std::lock_guard lock(mutex_);
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

ReloadOutcome ModelReloader::fail(std::string message) {
  state_.metrics.reloads[index_of(ReloadOutcome::Kind::kFailed)].fetch_add(1);
  spdlog::error("reload failed; the current model keeps serving: {}", message);
  return ReloadOutcome{ReloadOutcome::Kind::kFailed, std::move(message)};
}

ReloadOutcome ModelReloader::run() {
  // Lifecycle lines, like loading and draining: always on stderr.
  std::fprintf(stderr, "keel: reload: re-reading the configuration\n");
  const auto started = Clock::now();
  const std::shared_ptr<ServingModel> serving = state_.serving();
  if (!serving) return fail("no model serves yet");
  Result<std::optional<LoadedModel>> loaded = load_(*serving);
  if (!loaded.ok()) return fail(loaded.error().message);
  if (!loaded->has_value()) {
    state_.metrics.reloads[index_of(ReloadOutcome::Kind::kUnchanged)].fetch_add(1);
    std::fprintf(stderr, "keel: reload: the configuration names the model already serving; nothing to do\n");
    return ReloadOutcome{ReloadOutcome::Kind::kUnchanged, "the configured model is the one serving"};
  }
  std::shared_ptr<ServingModel> next = ServingModel::start(std::move(**loaded), state_.config);
  if (Status tested = self_test(*next); !tested.ok())
    return fail("the new model " + next->file_name() + " failed validation: " + tested.error().message);
  if (stopping_.load()) return fail("the server began shutting down before the new model was installed");

  std::shared_ptr<ServingModel> previous = state_.install(next);
  if (previous != serving) spdlog::warn("reload: the serving model changed while the new one loaded");
  replaced_ = previous;
  state_.metrics.reloads[index_of(ReloadOutcome::Kind::kReloaded)].fetch_add(1);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::string message = "now serving " + next->name() + " (" + next->file_name() + ", " + next->content_hash() + ")";
  if (previous)
    message += "; " + previous->file_name() + " (" + previous->content_hash() + ") finishes the requests it runs";
  std::fprintf(stderr, "keel: reload done in %.1f s: %s\n", seconds, message.c_str());
  return ReloadOutcome{ReloadOutcome::Kind::kReloaded, std::move(message)};
}

}  // namespace keel::server
