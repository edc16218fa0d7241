#include "server/engine_supervisor.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "server/probe_generation.h"
#include "tokenizer/tokenizer.h"

namespace keel::server {
namespace {

using Clock = std::chrono::steady_clock;

// The probe: a few greedy tokens, enough to run a prefill and a decode step.
constexpr int32_t kProbeTokens = 2;

}  // namespace

EngineSupervisor::EngineSupervisor(Engine& engine, const Tokenizer& tokenizer, const BreakerPolicy& policy,
                                   double stall_timeout_s)
    : engine_(engine), tokenizer_(tokenizer), stall_timeout_s_(stall_timeout_s), breaker_(policy) {
  const EngineStats stats = engine_.stats();
  seen_step_failures_ = stats.step_failures;
  seen_kv_violations_ = stats.kv_invariant_violations;
}

EngineSupervisor::Verdict EngineSupervisor::tick(Clock::time_point now, int64_t requests_in_flight) {
  std::lock_guard lock(mutex_);
  if (exit_) return Verdict::kExit;
  const EngineStats stats = engine_.stats();
  if (stats.failed) {
    exit_ = true;
    exit_reason_ = "the engine stopped for good: " + stats.failure;
    return Verdict::kExit;
  }
  if (stats.step_failures > seen_step_failures_) {
    const uint64_t count = stats.step_failures - seen_step_failures_;
    seen_step_failures_ = stats.step_failures;
    spdlog::warn("engine step failed{}: {}", count > 1 ? " (" + std::to_string(count) + " steps)" : "",
                 stats.last_step_failure);
    for (uint64_t i = 0; i < count && !exit_; ++i) record(now, stats.last_step_failure);
  }
  if (stats.kv_invariant_violations > seen_kv_violations_) {
    seen_kv_violations_ = stats.kv_invariant_violations;
    spdlog::error("KV cache consistency check failed; the running requests were ended and the pool rebuilt. "
                  "Evidence: {}", stats.last_kv_violation);
    record(now, "the KV cache failed its consistency check (" + stats.last_kv_violation + ")");
  }
  const bool work_pending = requests_in_flight > 0 || probe_.has_value() || stats.running + stats.waiting > 0;
  const double since = stats.heartbeat == Clock::time_point{} ? 0.0
                                                              : std::chrono::duration<double>(now - stats.heartbeat).count();
  const bool stalled = work_pending && since > stall_timeout_s_;
  if (stalled && !stalled_) {
    char cause[128];
    std::snprintf(cause, sizeof cause, "the engine is stalled: no step completed for %.1f s with requests pending", since);
    spdlog::warn("{}", cause);
    record(now, cause);
  }
  stalled_ = stalled;
  if (exit_) return Verdict::kExit;

  if (probe_ && probe_->finished()) finish_probe(now);
  const BreakerState before = breaker_.state();
  if (breaker_.poll(now)) {
    log_transition(before, now);
    start_probe(now);
  }
  return exit_ ? Verdict::kExit : Verdict::kServing;
}

void EngineSupervisor::record(Clock::time_point now, const std::string& cause) {
  const BreakerState before = breaker_.state();
  const BreakerAction action = breaker_.record_failure(now, cause);
  if (breaker_.state() != before) log_transition(before, now);
  if (before == BreakerState::kHalfOpen && probe_) {
    engine_.cancel(*probe_);  // the breaker already judged it
    probe_.reset();
  }
  switch (action) {
    case BreakerAction::kNone: break;
    case BreakerAction::kRestartEngine:
      ++restarts_requested_;
      spdlog::warn("the circuit breaker opened {} times within an hour: rebuilding the engine in-process",
                   restarts_requested_);
      engine_.restart();
      break;
    case BreakerAction::kExit:
      exit_ = true;
      exit_reason_ = "the circuit breaker opened more often than --max-engine-restarts allows within an hour";
      break;
  }
}

void EngineSupervisor::start_probe(Clock::time_point now) {
  SubmitResult submitted = engine_.submit(probe_request(tokenizer_, kProbeTokens));
  if (!submitted.ok()) {
    record(now, "the probe was refused: " + submitted.error().message);
    return;
  }
  spdlog::info("circuit breaker half-open: probing the engine with a {}-token generation", kProbeTokens);
  probe_ = std::move(submitted).value();
}

void EngineSupervisor::finish_probe(Clock::time_point now) {
  std::optional<Finish> finish;
  StreamUpdate update;
  while (probe_->stream().read(update))
    if (update.finish) finish = update.finish;
  probe_.reset();
  if (breaker_.state() != BreakerState::kHalfOpen) return;
  if (!finish || !probe_succeeded(*finish)) {
    record(now, finish && !finish->error.empty() ? finish->error : "the probe did not complete");
    return;
  }
  const BreakerState before = breaker_.state();
  breaker_.record_probe_success();
  log_transition(before, now);
}

void EngineSupervisor::log_transition(BreakerState before, Clock::time_point now) {
  const BreakerState after = breaker_.state();
  if (after == before) return;
  if (after == BreakerState::kOpen)
    spdlog::error("circuit breaker {} -> open: {}", breaker_state_name(before), breaker_.reason(now));
  else
    spdlog::warn("circuit breaker {} -> {}", breaker_state_name(before), breaker_state_name(after));
}

std::optional<BreakerRefusal> EngineSupervisor::admission_problem(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  if (breaker_.state() == BreakerState::kClosed) return std::nullopt;
  return BreakerRefusal{breaker_.reason(now), breaker_.retry_after_s(now)};
}

BreakerSnapshot EngineSupervisor::snapshot() const {
  std::lock_guard lock(mutex_);
  BreakerSnapshot s;
  s.state = breaker_.state();
  for (int i = 0; i < 3; ++i) s.transitions[i] = breaker_.transitions_to(static_cast<BreakerState>(i));
  s.restarts_requested = restarts_requested_;
  return s;
}

}  // namespace keel::server
