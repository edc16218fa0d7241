// EngineSupervisor: watches the engine from the server's main thread and
// drives the circuit breaker (circuit_breaker.h) with what it sees.
//
// Failures it counts, each once: a failed step (EngineStats::step_failures
// grew), a failed KV check (kv_invariant_violations grew), and a stall
// (work pending and no step completed for --stall-timeout; counted when
// it starts). Each is logged with its cause.
//
// When the breaker goes half-open the supervisor sends the probe itself: a
// short greedy generation from a fixed prompt, straight to the engine. A
// probe that waits for client traffic would wait forever behind a load
// balancer that routes by /ready, which is 503 until the breaker closes.
//
// The breaker's restart policy is carried out here: Engine::restart() for
// a rebuild, and tick() returning kExit for the process to end. An engine
// that stopped for good (EngineStats::failed) also asks for exit.
//
// Threads: tick() runs on the main thread; admission_problem() and
// snapshot() on the HTTP threads. One mutex, never held across a wait.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "engine/request_handle.h"
#include "server/circuit_breaker.h"

namespace keel {
class Engine;
class Tokenizer;
}  // namespace keel

namespace keel::server {

// Why new completions are refused while the breaker is not closed.
struct BreakerRefusal {
  std::string reason;
  double retry_after_s = 1;
};

class EngineSupervisor {
 public:
  enum class Verdict { kServing, kExit };

  EngineSupervisor(Engine& engine, const Tokenizer& tokenizer, const BreakerPolicy& policy, double stall_timeout_s);

  // One look at the engine. `requests_in_flight`: the server's accepted
  // and unanswered requests (the engine publishes its queue only after a
  // step, so a step that hangs on its first request shows none). kExit:
  // the restart policy (or an engine that stopped for good) wants the
  // process to end non-zero; `exit_reason` says why.
  Verdict tick(std::chrono::steady_clock::time_point now, int64_t requests_in_flight);
  const std::string& exit_reason() const { return exit_reason_; }

  std::optional<BreakerRefusal> admission_problem(std::chrono::steady_clock::time_point now) const;
  BreakerSnapshot snapshot() const;

 private:
  void record(std::chrono::steady_clock::time_point now, const std::string& cause);
  void start_probe(std::chrono::steady_clock::time_point now);
  void finish_probe(std::chrono::steady_clock::time_point now);
  void log_transition(BreakerState before, std::chrono::steady_clock::time_point now);

  Engine& engine_;
  const Tokenizer& tokenizer_;
  const double stall_timeout_s_;
  mutable std::mutex mutex_;
  CircuitBreaker breaker_;
  uint64_t seen_step_failures_ = 0, seen_kv_violations_ = 0, restarts_requested_ = 0;
  bool stalled_ = false;
  std::optional<RequestHandle> probe_;
  bool exit_ = false;
  std::string exit_reason_;
};

}  // namespace keel::server
