// Engine: one thread that owns the scheduler, the paged KV memory and the
// model, and turns submitted requests into streams of tokens.
//
//   auto engine = Engine::create(model, tokenizer, options).value();
//   engine->start();                                  // spawns the step loop
//   Request request;  request.prompt = ids;  request.max_tokens = 64;
//   request.on_events = [&] { loop.post(wake); };     // optional, non-blocking
//   auto handle = engine->submit(std::move(request)); // SubmitResult: handle or refusal
//   StreamUpdate update;
//   while (handle->stream().wait_and_read(update, 100ms) || !handle->finished()) { ... }
//   engine->shutdown(deadline);                       // drain, then stop
//
// Threads: submit(), cancel(), stats() and the RequestHandle readers may be
// called from any thread at any time. They never wait on a step: submit
// takes a short lock on the inbound queue, stats() copies the snapshot the
// loop published after its last step, and readers copy out of their own
// stream. The step loop never holds a lock that a client waits on while it
// runs the model.
//
// Memory: everything the loop touches is reserved in create() (KV pool,
// batch and logits buffers, queues sized by max_waiting and max_seqs) or in
// submit() on the caller's thread (the request's sampler, detokenizer and
// output stream). A steady-state step allocates nothing.
//
// Failure: a step that fails (ModelRunner::forward returns an error, or an
// internal check of the loop does) ends the requests of that step, and only
// those, with FinishCause::kEngineError and the cause; their KV blocks are
// released (the step committed none), the KV accounting is checked, and
// the loop carries on with the rest of the queue. A non-finite logits row
// ends only its own request. EngineStats counts the failures
// (step_failures); deciding that a backend failing again and again should
// get no more traffic is the caller's (the server's circuit breaker).
//
// KV invariants: every options.kv_check_interval steps (and after a failed
// step) the loop checks the KV accounting (BlockManager::check). A
// violation never aborts: the pool is quarantined. The running requests end
// with kEngineError, the pool's accounting is reset (all blocks free,
// nothing cached), the waiting queue stays, and the evidence is published
// (kv_invariant_violations, last_kv_violation).
//
// Restart: restart() rebuilds, between steps, what a step runs on: the
// model runner (its KV pool and workspaces, re-reserved on the backend)
// and the pool's accounting. Running requests go back to the waiting queue
// and are recomputed; nothing queued is lost. The weights are not
// re-read. Only if the rebuild itself fails does the engine stop for good:
// it then ends every request with kEngineError, refuses submit() with
// RefusalReason::kFailed, publishes `failed`, and idles until shutdown().
//
// n > 1 completions are the server's job: it submits n requests.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "backend/device_buffer.h"
#include "backend/row_argmax.h"
#include "core/result.h"
#include "engine/engine_options.h"
#include "engine/engine_stats.h"
#include "engine/request.h"
#include "engine/request_handle.h"
#include "engine/request_stream.h"
#include "engine/submit_result.h"
#include "grammar/grammar_matcher.h"
#include "tokenizer/tokenizer.h"

namespace keel {
namespace testing {
struct EngineTestPeer;
}

class Model;
class ModelRunner;
class Scheduler;
class BlockManager;
class BatchBuilder;
class TokenTexts;
struct ScheduledChunk;
struct SamplerScratch;

class Engine {
 public:
  // Reserves the KV pool (its accounting here, its bytes on the model's
  // backend through a ModelRunner) and every per-step buffer. Errors:
  // options that do not fit the model (max_context over the model's
  // context, a pool smaller than one block, non-positive sizes), the
  // device out of memory.
  static Result<std::unique_ptr<Engine>> create(Model& model, const Tokenizer& tokenizer,
                                                const EngineOptions& options);
  ~Engine();  // shutdown(now) if still running
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Spawns the step loop thread. Call once.
  void start();

  // Queues a request. Refusals carry a reason code and a message meant for
  // the client: kInvalidRequest (empty prompt, a token id outside the
  // vocabulary, bad sampling parameters, max_tokens < 1, min_tokens >
  // max_tokens), kTooLong (prompt + max_tokens over --max-context or over
  // the whole KV pool), kQueueFull (--max-waiting; retry later),
  // kShuttingDown, kFailed (the step loop failed; the message has the cause).
  SubmitResult submit(Request request);

  // Ends the request at the next step (FinishCause::kCancelled) and frees
  // its KV blocks. Harmless on a finished request.
  void cancel(const RequestHandle& handle);

  // The snapshot published after the latest step. Never waits on a step.
  EngineStats stats() const;

  // Stop admitting (submit() fails), let running and waiting requests
  // finish until `deadline`, end the rest with FinishCause::kShutdown, and
  // join the loop. Idempotent.
  void shutdown(std::chrono::steady_clock::time_point deadline);

  // Synchronous stepping, for a caller that drives the engine on its own
  // thread instead of start()ing the loop (`keel run`, `keel logits`,
  // tests): runs one step (ingest, schedule, forward, sample, publish
  // stats). Returns false when there was nothing to do.
  bool step_once();
  // Checks the KV accounting (free + used + cached == total, refcounts ==
  // holders). Only between steps of a synchronously driven engine.
  Status check_invariants() const;

  // Asks the loop to rebuild the model runner and the KV pool before its
  // next step (see "Restart" above). Returns at once; EngineStats::restarts
  // counts the rebuilds done. Any thread.
  void restart();

  const EngineOptions& options() const { return options_; }

  // The vocabulary as grammars see it (each token's bytes; none for control
  // tokens), for compiling a Request::grammar. Built on first use, once;
  // safe from any thread.
  std::shared_ptr<const grammar::Vocabulary> grammar_vocabulary() const;

 private:
  Engine(Model& model, const Tokenizer& tokenizer, const EngineOptions& options);
  void loop();
  bool step();  // one scheduler step; false if idle
  void ingest_submitted();
  void end_cancelled_and_expired(bool shutting_down);
  // Whether every logits row of plan_ is sampled by a plain argmax with the
  // full row unused (no logprobs, grammar or prompt logits; ignore_eos is
  // an argmax among the allowed ids): then the step brings back only each
  // row's argmax (ModelRunner::forward).
  bool plan_samples_by_argmax() const;
  Status forward_and_sample(int32_t logit_rows, bool by_argmax);
  std::optional<int32_t> sample_row(RequestState& request, int32_t slot, int32_t row,
                                    std::span<const TokenLogprob>& logprobs);
  // Hands a prompt-logits request the rows of its chunk that are prompt positions.
  void deliver_prompt_logits(RequestState& request, const ScheduledChunk& chunk, int32_t first_row);
  void mark_first_scheduled(std::chrono::steady_clock::time_point when);
  void finish(RequestState& request, FinishCause cause, std::string_view error = {});
  // Ends the requests of the failed step (those of plan_ still running).
  void fail_step(const std::string& cause);
  // Checks the KV accounting; quarantines the pool on a violation.
  void verify_kv();
  void quarantine_kv(const std::string& evidence);
  // restart(): a fresh runner and pool, the queue kept.
  Status rebuild();
  // Ends everything with FinishCause::kEngineError and stops the loop for good.
  void fail(const std::string& cause);
  void publish_stats(double step_seconds, int32_t step_tokens, int32_t step_sequences);
  void measure_device_memory();

  Model& model_;
  Tokenizer tokenizer_;
  EngineOptions options_;
  int32_t max_context_ = 0;
  int32_t vocab_ = 0;
  std::unique_ptr<TokenTexts> token_texts_;
  std::unique_ptr<ModelRunner> runner_;
  std::unique_ptr<BlockManager> blocks_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<BatchBuilder> batch_builder_;
  std::vector<ScheduledChunk> plan_;  // reserved max_seqs
  DeviceBuffer logits_buffer_;        // host memory from the backend's allocate_host (page-locked on a GPU)
  std::span<float> logits_;           // [max logit rows × vocab] in logits_buffer_
  std::vector<float> raw_logits_;     // [vocab] copy for logprobs (sampling edits logits in place)
  std::vector<RowArgmax> argmax_;     // [max logit rows]: a by-argmax step's answers
  ExcludedIds end_of_generation_;     // what ignore_eos passes over, for argmax_rows (the first kMax ids)
  // False with more ids than ExcludedIds holds: ignore_eos then samples on the host.
  bool end_of_generation_fits() const {
    return static_cast<size_t>(end_of_generation_.count) == end_of_generation_ids_.size();
  }
  // Every request's Sampler works in this one scratch: sampling happens on
  // the engine thread, one request at a time.
  std::unique_ptr<SamplerScratch> sampler_scratch_;
  // Likewise the grammar matchers' scratch (the allowed-token bits).
  std::unique_ptr<grammar::MatcherScratch> grammar_scratch_;
  mutable std::once_flag grammar_vocabulary_once_;
  mutable std::shared_ptr<const grammar::Vocabulary> grammar_vocabulary_;
  uint64_t finished_ = 0, cancelled_ = 0, expired_ = 0, steps_ = 0;
  uint64_t non_finite_rows_ = 0;  // requests ended alone for a non-finite logits row
  uint64_t step_failures_ = 0, kv_violations_ = 0, restarts_ = 0;
  struct {
    std::string name;
    int64_t total = 0, weights = 0, kv = 0, workspace = 0;
  } device_memory_;  // measure_device_memory(): what stats() reports
  std::atomic<bool> restart_requested_{false};
  std::vector<int32_t> end_of_generation_ids_;  // masked from the logits of ignore_eos requests
  uint64_t tokens_computed_ = 0, tokens_generated_ = 0;
  double total_step_seconds_ = 0.0;

  // Inbound: submit() pushes, the loop drains (bounded by max_waiting).
  mutable std::mutex inbox_mutex_;
  std::condition_variable inbox_ready_;
  std::vector<std::shared_ptr<RequestState>> inbox_;  // reserved max_waiting
  uint64_t next_id_ = 1;
  bool accepting_ = true;
  std::string failure_;  // why the loop failed; set once, with failed_
  // Submitted and not yet finished; submit() refuses past max_waiting +
  // max_seqs, which also bounds the waiting queue.
  std::atomic<int32_t> unfinished_{0};
  std::atomic<bool> work_pending_{false};  // set by submit/cancel, cleared by the loop

  // Published statistics.
  mutable std::mutex stats_mutex_;
  EngineStats stats_;
  std::atomic<uint64_t> submitted_{0};
  std::atomic<uint64_t> rejected_{0};

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> drain_deadline_ns_{0};  // steady_clock nanoseconds since epoch

  friend struct testing::EngineTestPeer;  // tests reach the KV accounting to corrupt it
};

}  // namespace keel
