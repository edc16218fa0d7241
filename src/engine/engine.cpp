#include "engine/engine.h"

#include <algorithm>
#include <string>

#include "engine/allocation_probe.h"
#include "engine/batch_builder.h"
#include "engine/request_state.h"
#include "engine/scheduler.h"
#include "engine/token_output.h"
#include "engine/token_texts.h"
#include "kv/block_manager.h"
#include "model/model.h"
#include "model/model_runner.h"

namespace keel {
namespace {

using Clock = std::chrono::steady_clock;

int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Status check_sampling(const SamplingParams& s) {
  if (!(s.temperature >= 0.0f)) return Error{"temperature must be >= 0"};
  if (s.top_k < 0) return Error{"top_k must be >= 0 (0 = off)"};
  if (!(s.top_p > 0.0f && s.top_p <= 1.0f)) return Error{"top_p must be in (0, 1]"};
  if (!(s.min_p >= 0.0f && s.min_p <= 1.0f)) return Error{"min_p must be in [0, 1]"};
  if (!(s.repetition_penalty > 0.0f)) return Error{"repetition_penalty must be > 0"};
  if (s.top_logprobs < 0 || s.top_logprobs > 20) return Error{"top_logprobs must be in 0..20"};
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(Model& model, const Tokenizer& tokenizer,
                                               const EngineOptions& options) {
  const ModelConfig& config = model.config();
  EngineOptions o = options;
  if (o.max_context <= 0) o.max_context = static_cast<int32_t>(std::min<int64_t>(config.context_length, INT32_MAX));
  if (o.max_context <= 0) return Error{"the model states no context length: give --max-context"};
  if (config.context_length > 0 && o.max_context > config.context_length)
    return Error{"--max-context " + std::to_string(o.max_context) + " exceeds the model's context length " +
                 std::to_string(config.context_length)};
  if (o.kv_block_size <= 0) return Error{"--kv-block-size must be positive"};
  if (o.max_seqs <= 0) return Error{"--max-seqs must be positive"};
  if (o.max_waiting < 0) return Error{"--max-waiting must not be negative"};
  if (o.max_batch_tokens <= 0) return Error{"--max-batch-tokens must be positive"};
  if (o.kv_cache_memory < 0) return Error{"--kv-cache-memory must not be negative"};
  if (o.gpu_memory_utilization < 0 || o.gpu_memory_utilization > 1)
    return Error{"--gpu-memory-utilization must be in (0, 1]"};
  if (!is_kv_dtype(o.kv_cache_dtype)) return Error{"--kv-cache-dtype must be f32, f16 or bf16"};

  KvStorageShape kv_shape{static_cast<int32_t>(config.layers), 0, o.kv_block_size,
                          static_cast<int32_t>(config.kv_heads), static_cast<int32_t>(config.head_dim),
                          o.kv_cache_dtype};
  const int64_t blocks_per_sequence = (o.max_context + o.kv_block_size - 1) / o.kv_block_size;
  // On a GPU with a utilization and no explicit size, the runner sizes the
  // pool from the device's free memory (0 here).
  const bool fill_device = o.kv_cache_memory == 0 && o.gpu_memory_utilization > 0 &&
                           model.backend().device_memory().has_value();
  const int64_t blocks = fill_device            ? 0
                         : o.kv_cache_memory > 0 ? o.kv_cache_memory / kv_shape.bytes_per_block()
                                                 : blocks_per_sequence * o.max_seqs;
  if (blocks < 1 && !fill_device)
    return Error{"--kv-cache-memory " + std::to_string(o.kv_cache_memory) + " holds no block of " +
                 std::to_string(kv_shape.bytes_per_block()) + " bytes"};
  if (blocks > INT32_MAX / 4) return Error{"--kv-cache-memory asks for too many blocks"};
  const auto max_logit_rows = o.prompt_logits ? o.max_batch_tokens : o.max_seqs;
  const int32_t max_seqs_per_step = std::min(o.max_seqs, o.max_batch_tokens);
  RunnerLimits limits;
  limits.max_batch_tokens = o.max_batch_tokens;
  limits.max_seqs = max_seqs_per_step;
  limits.max_logit_rows = std::min(max_logit_rows, o.max_batch_tokens);
  limits.max_blocks_per_seq = static_cast<int32_t>(blocks_per_sequence);
  limits.kv_blocks = static_cast<int32_t>(blocks);
  limits.kv_memory_fraction = fill_device ? o.gpu_memory_utilization : 0;
  limits.kv_memory_excluded_bytes = fill_device ? o.gpu_memory_replaced_bytes : 0;
  limits.kv_block_size = o.kv_block_size;
  limits.kv_dtype = o.kv_cache_dtype;
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<ModelRunner> runner, ModelRunner::create(model, limits));
  const int32_t pool_blocks = runner->limits().kv_blocks;  // what the runner reserved

  std::unique_ptr<Engine> engine(new Engine(model, tokenizer, o));
  engine->max_context_ = o.max_context;
  engine->vocab_ = static_cast<int32_t>(config.vocab);
  engine->token_texts_ = std::make_unique<TokenTexts>(tokenizer, engine->vocab_);
  engine->runner_ = std::move(runner);
  engine->blocks_ = std::make_unique<BlockManager>(BlockPoolShape{pool_blocks, o.kv_block_size},
                                                   o.prefix_cache_policy, o.prefix_cache);
  const int32_t max_queued = o.max_waiting + o.max_seqs;
  engine->scheduler_ = std::make_unique<Scheduler>(
      SchedulerLimits{o.max_batch_tokens, o.max_seqs, o.max_context, max_queued}, *engine->blocks_);
  engine->batch_builder_ = std::make_unique<BatchBuilder>(ForwardBatchLimits{
      o.max_batch_tokens, max_seqs_per_step, static_cast<int32_t>(blocks_per_sequence), o.kv_block_size});
  engine->plan_.reserve(static_cast<size_t>(o.max_seqs));
  const size_t logit_floats = static_cast<size_t>(limits.max_logit_rows) * static_cast<size_t>(engine->vocab_);
  KEEL_ASSIGN_OR_RETURN(engine->logits_buffer_, model.backend().allocate_host(logit_floats * sizeof(float)));
  engine->logits_ = std::span(engine->logits_buffer_.as<float>(), logit_floats);
  engine->raw_logits_.resize(static_cast<size_t>(engine->vocab_));
  engine->argmax_.resize(static_cast<size_t>(limits.max_logit_rows));
  for (const int32_t id : engine->tokenizer_.end_of_generation_ids())
    if (id >= 0 && id < engine->vocab_) engine->end_of_generation_ids_.push_back(id);
  for (const int32_t id : engine->end_of_generation_ids_)
    if (engine->end_of_generation_.count < ExcludedIds::kMax)
      engine->end_of_generation_.ids[engine->end_of_generation_.count++] = id;
  engine->sampler_scratch_ = std::make_unique<SamplerScratch>(engine->vocab_);
  engine->grammar_scratch_ = std::make_unique<grammar::MatcherScratch>(engine->vocab_, engine->token_texts_->longest());
  engine->inbox_.reserve(static_cast<size_t>(max_queued));
  engine->measure_device_memory();
  engine->publish_stats(0.0, 0, 0);
  return engine;
}

Engine::Engine(Model& model, const Tokenizer& tokenizer, const EngineOptions& options)
    : model_(model), tokenizer_(tokenizer), options_(options) {}

Engine::~Engine() { shutdown(Clock::now()); }

void Engine::start() {
  KEEL_CHECK(!thread_.joinable(), "Engine::start called twice");
  thread_ = std::thread([this] { loop(); });
}

SubmitResult Engine::submit(Request request) {
  auto reject = [&](RefusalReason reason, std::string message) -> SubmitResult {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return SubmitRefusal{reason, std::move(message)};
  };
  const auto invalid = RefusalReason::kInvalidRequest;
  const auto prompt = static_cast<int64_t>(request.prompt.size());
  if (prompt == 0) return reject(invalid, "the prompt is empty: give at least one token");
  for (int32_t id : request.prompt)
    if (id < 0 || id >= vocab_)
      return reject(invalid, "prompt token id " + std::to_string(id) + " is outside the vocabulary of " +
                                 std::to_string(vocab_));
  if (request.on_prompt_logits && !options_.prompt_logits)
    return reject(invalid, "this engine was not created to return prompt logits (EngineOptions::prompt_logits)");
  // Only a request that wants its prompt's logits may generate nothing.
  if (request.max_tokens < (request.on_prompt_logits ? 0 : 1)) return reject(invalid, "max_tokens must be at least 1");
  if (request.min_tokens < 0 || request.min_tokens > request.max_tokens)
    return reject(invalid, "min_tokens must be between 0 and max_tokens");
  if (Status s = check_sampling(request.sampling); !s.ok()) return reject(invalid, s.error().message);
  if (request.grammar && &request.grammar->vocabulary() != grammar_vocabulary().get())
    return reject(invalid, "the request's grammar was compiled for another vocabulary than this engine's");
  const int64_t total = prompt + request.max_tokens;
  if (total > max_context_)
    return reject(RefusalReason::kTooLong, "prompt (" + std::to_string(prompt) + " tokens) + max_tokens (" +
                  std::to_string(request.max_tokens) + ") = " + std::to_string(total) +
                  " exceeds the context of " + std::to_string(max_context_) + " tokens");
  if (blocks_->blocks_for(static_cast<int32_t>(total)) > blocks_->total())
    return reject(RefusalReason::kTooLong, "prompt + max_tokens = " + std::to_string(total) + " tokens needs more KV memory than the " +
                  std::to_string(int64_t{blocks_->total()} * blocks_->block_size()) +
                  " token slots of the whole pool (--kv-cache-memory)");

  std::unique_lock lock(inbox_mutex_);
  if (failed_.load()) return reject(RefusalReason::kFailed, "the engine failed: " + failure_);
  if (!accepting_) return reject(RefusalReason::kShuttingDown, "the engine is shutting down");
  if (unfinished_.load() >= options_.max_waiting + options_.max_seqs)
    return reject(RefusalReason::kQueueFull,
                  "the engine queue is full (" + std::to_string(options_.max_waiting) + " waiting); retry later");
  // Built here, on the caller's thread, so that the step loop never allocates for it.
  auto state = std::make_shared<RequestState>(next_id_++, std::move(request), vocab_, token_texts_->longest(),
                                              sampler_scratch_.get());
  inbox_.push_back(state);
  unfinished_.fetch_add(1);
  submitted_.fetch_add(1, std::memory_order_relaxed);
  work_pending_.store(true);
  lock.unlock();
  inbox_ready_.notify_one();
  return RequestHandle(std::move(state));
}

std::shared_ptr<const grammar::Vocabulary> Engine::grammar_vocabulary() const {
  std::call_once(grammar_vocabulary_once_, [this] {
    std::vector<std::string> pieces;
    pieces.reserve(static_cast<size_t>(vocab_));
    for (int32_t id = 0; id < vocab_; ++id) pieces.emplace_back(token_texts_->bytes(id));
    grammar_vocabulary_ = std::make_shared<const grammar::Vocabulary>(pieces);
  });
  return grammar_vocabulary_;
}

void Engine::cancel(const RequestHandle& handle) {
  if (!handle.valid()) return;
  handle.state_->cancel_requested.store(true);
  work_pending_.store(true);
  inbox_ready_.notify_one();
}

EngineStats Engine::stats() const {
  std::lock_guard lock(stats_mutex_);
  EngineStats copy = stats_;
  copy.submitted = submitted_.load(std::memory_order_relaxed);
  copy.rejected = rejected_.load(std::memory_order_relaxed);
  return copy;
}

bool Engine::step_once() {
  KEEL_CHECK(!thread_.joinable(), "step_once is for an engine without a loop thread");
  return step();
}

Status Engine::check_invariants() const { return scheduler_->check_invariants(); }

void Engine::restart() {
  restart_requested_.store(true);
  work_pending_.store(true);
  inbox_ready_.notify_one();
}

void Engine::shutdown(Clock::time_point deadline) {
  {
    std::lock_guard lock(inbox_mutex_);
    accepting_ = false;
  }
  drain_deadline_ns_.store(to_ns(deadline));
  draining_.store(true);
  inbox_ready_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    return;
  }
  // No loop thread: drain here.
  while (unfinished_.load() > 0) step();
}

void Engine::loop() {
  while (true) {
    if (failed_.load()) {
      // Nothing runs any more; wait for shutdown() so that it can join us.
      while (!draining_.load()) {
        std::unique_lock lock(inbox_mutex_);
        inbox_ready_.wait_for(lock, std::chrono::milliseconds(20), [&] { return draining_.load(); });
      }
      break;
    }
    const bool worked = step();
    if (draining_.load() && unfinished_.load() == 0) break;
    if (!worked) {
      std::unique_lock lock(inbox_mutex_);
      inbox_ready_.wait_for(lock, std::chrono::milliseconds(20),
                            [&] { return work_pending_.load() || draining_.load(); });
      work_pending_.store(false);
    }
  }
  publish_stats(0.0, 0, 0);
}

void Engine::ingest_submitted() {
  std::lock_guard lock(inbox_mutex_);
  for (auto& state : inbox_) scheduler_->enqueue(std::move(state));
  inbox_.clear();  // keeps its capacity
}

void Engine::finish(RequestState& request, FinishCause cause, std::string_view error) {
  finish_request(request, cause, error);
  request.stream.notify();
  ++finished_;
  if (cause == FinishCause::kCancelled) ++cancelled_;
  if (cause == FinishCause::kDeadline) ++expired_;
  unfinished_.fetch_sub(1);
}

void Engine::end_cancelled_and_expired(bool shutting_down) {
  const Clock::time_point now = Clock::now();
  auto cause_for = [&](const RequestState& r) -> std::optional<FinishCause> {
    if (r.cancel_requested.load(std::memory_order_relaxed)) return FinishCause::kCancelled;
    if (now >= r.request.deadline) return FinishCause::kDeadline;
    if (shutting_down) return FinishCause::kShutdown;
    return std::nullopt;
  };
  const std::span<const int32_t> running = scheduler_->running();
  for (size_t i = running.size(); i-- > 0;) {
    const int32_t slot = scheduler_->running()[i];
    RequestState& request = *scheduler_->sequence(slot).request;
    if (const auto cause = cause_for(request)) {
      finish(request, *cause);
      scheduler_->retire(slot);
    }
  }
  scheduler_->drop_waiting([&](RequestState& request) {
    const auto cause = cause_for(request);
    if (cause) finish(request, *cause);
    return cause.has_value();
  });
}

// A failed step wrote K and V only into blocks its own sequences hold and
// committed none of them, so ending exactly those requests (and releasing
// their blocks) leaves everything else as it was. The check that follows
// makes sure of it.
void Engine::fail_step(const std::string& cause) {
  ++step_failures_;
  {
    std::lock_guard lock(stats_mutex_);
    stats_.last_step_failure = cause;
  }
  for (const ScheduledChunk& chunk : plan_) {
    RequestState* request = scheduler_->sequence(chunk.slot).request.get();
    if (request == nullptr) continue;  // already ended in this step
    finish(*request, FinishCause::kEngineError, cause);
    scheduler_->retire(chunk.slot);
  }
  verify_kv();
  publish_stats(0.0, 0, 0);
}

void Engine::verify_kv() {
  Status checked = scheduler_->check_invariants();
  if (!checked.ok()) quarantine_kv(checked.error().message);
}

// The accounting cannot be trusted, so nothing is released into it: the
// running requests end, their slots are emptied, and the pool starts over
// with every block free. Waiting requests hold no blocks and stay queued.
void Engine::quarantine_kv(const std::string& evidence) {
  ++kv_violations_;
  {
    std::lock_guard lock(stats_mutex_);
    stats_.last_kv_violation = evidence;
  }
  const std::string cause = "the KV cache failed its consistency check (" + evidence +
                            "); this request was ended and the cache rebuilt";
  scheduler_->end_all_running([&](RequestState& request) { finish(request, FinishCause::kEngineError, cause); });
  blocks_->reset();
}

Status Engine::rebuild() {
  scheduler_->requeue_all_running();
  const RunnerLimits limits = runner_->limits();
  runner_.reset();  // its KV pool and workspaces go back before the new ones are reserved
  KEEL_ASSIGN_OR_RETURN(runner_, ModelRunner::create(model_, limits));
  blocks_->reset();
  ++restarts_;
  measure_device_memory();
  return ok_status();
}

// What the model's backend holds on its device now (fixed between
// rebuilds: nothing is allocated in the step loop), for stats().
void Engine::measure_device_memory() {
  const Backend& backend = model_.backend();
  const std::optional<DeviceMemory> memory = backend.device_memory();
  device_memory_ = {};
  if (!memory) return;
  const DeviceMemoryUse use = backend.device_memory_use();
  const KvStorageShape& kv = runner_->kv().shape();
  device_memory_.name = memory->device;
  device_memory_.total = memory->total_bytes;
  device_memory_.weights = use.weight_bytes;
  device_memory_.kv = int64_t{kv.blocks} * kv.bytes_per_block();
  device_memory_.workspace = std::max<int64_t>(use.buffer_bytes - device_memory_.kv, 0);
}

// The rebuild after restart() failed: no runner to step with. Every
// request ends (so no client waits for output that will never come) and
// new ones are refused with the cause.
void Engine::fail(const std::string& cause) {
  {
    std::lock_guard lock(inbox_mutex_);
    failure_ = cause;
    failed_.store(true);
    accepting_ = false;
  }
  {
    // Published before any request ends, so that whoever sees a request
    // end with kEngineError also finds the cause in stats().
    std::lock_guard lock(stats_mutex_);
    stats_.failed = true;
    stats_.failure = cause;
  }
  ingest_submitted();
  scheduler_->end_all_running([&](RequestState& request) { finish(request, FinishCause::kEngineError, cause); });
  scheduler_->drop_waiting([&](RequestState& request) {
    finish(request, FinishCause::kEngineError, cause);
    return true;
  });
  publish_stats(0.0, 0, 0);
}

// Ends the queue time of requests entering their first step (the stream
// takes a lock, so this is done once per request, not once per step).
void Engine::mark_first_scheduled(Clock::time_point when) {
  for (const ScheduledChunk& chunk : plan_) {
    RequestState& request = *scheduler_->sequence(chunk.slot).request;
    if (request.scheduled) continue;
    request.scheduled = true;
    request.stream.mark_scheduled(when);
  }
}

bool Engine::step() {
  if (failed_.load()) return false;
  if (restart_requested_.exchange(false)) {
    if (Status rebuilt = rebuild(); !rebuilt.ok()) {
      fail("the engine could not be rebuilt: " + rebuilt.error().message);
      return true;
    }
  }
  allocation_probe::CountedRegion counted;
  const Clock::time_point start = Clock::now();
  ingest_submitted();
  const bool past_deadline = draining_.load() && to_ns(start) >= drain_deadline_ns_.load();
  blocks_->set_now(to_ns(start));
  if (options_.prefix_cache_ttl_s > 0) {
    // Idle-cache expiry, a bounded slice of the pool per step (idle steps
    // too: the loop steps every 20 ms while waiting), on this thread: no
    // lock, no other thread touching KV state.
    constexpr int32_t kBlocksCheckedPerStep = 64;
    const auto ttl = static_cast<int64_t>(options_.prefix_cache_ttl_s * 1e9);
    blocks_->expire_idle(to_ns(start) - ttl, kBlocksCheckedPerStep);
  }
  end_cancelled_and_expired(past_deadline);

  const int32_t tokens = scheduler_->schedule(plan_);
  if (tokens == 0) {
    publish_stats(0.0, 0, 0);
    return false;
  }
  mark_first_scheduled(start);
  const ForwardBatch batch = batch_builder_->build(plan_, [&](int32_t slot) -> const Sequence& {
    return scheduler_->sequence(slot);
  });
  const int32_t logit_rows = batch.n_logit_rows();
  const bool by_argmax = logit_rows > 0 && plan_samples_by_argmax();
  const std::span<float> logits = std::span(logits_).first(static_cast<size_t>(logit_rows) * vocab_);
  const Status forwarded =
      by_argmax ? runner_->forward(batch, logits, std::span(argmax_).first(static_cast<size_t>(logit_rows)), end_of_generation_)
                : runner_->forward(batch, logits);
  if (!forwarded.ok()) {
    fail_step("the model's forward step failed: " + forwarded.error().message);
    return true;
  }
  if (Status sampled = forward_and_sample(logit_rows, by_argmax); !sampled.ok()) {
    fail_step("an internal check of the step loop failed: " + sampled.error().message);
    return true;
  }

  const auto sequences = static_cast<int32_t>(plan_.size());
  tokens_computed_ += static_cast<uint64_t>(tokens);
  ++steps_;
  if (options_.kv_check_interval > 0 && steps_ % static_cast<uint64_t>(options_.kv_check_interval) == 0) verify_kv();
  publish_stats(std::chrono::duration<double>(Clock::now() - start).count(), tokens, sequences);
  return true;
}

void Engine::publish_stats(double step_seconds, int32_t step_tokens, int32_t step_sequences) {
  const KvStats kv = blocks_->stats();
  const SchedulerCounters& counters = scheduler_->counters();
  std::lock_guard lock(stats_mutex_);
  EngineStats& s = stats_;
  s.running = static_cast<int32_t>(scheduler_->running().size());
  s.waiting = scheduler_->waiting_count();
  s.finished = finished_;
  s.cancelled = cancelled_;
  s.deadline_expired = expired_;
  s.non_finite_logits = non_finite_rows_;
  s.step_failures = step_failures_;
  s.kv_invariant_violations = kv_violations_;
  s.restarts = restarts_;
  s.preemptions = counters.preemptions;
  s.blocks_total = kv.total;
  s.blocks_free = kv.free;
  s.blocks_used = kv.used;
  s.blocks_cached = kv.cached;
  s.block_size = blocks_->block_size();
  s.device_name = device_memory_.name;
  s.device_memory_total = device_memory_.total;
  s.device_weight_bytes = device_memory_.weights;
  s.device_kv_bytes = device_memory_.kv;
  s.device_workspace_bytes = device_memory_.workspace;
  s.evictions = kv.evictions;
  s.expired_blocks = kv.expired;
  s.fragmentation = scheduler_->fragmentation();
  s.prefix_query_tokens = counters.prefix_query_tokens;
  s.prefix_hit_tokens = counters.prefix_hit_tokens;
  s.steps = steps_;
  s.tokens_computed = tokens_computed_;
  s.tokens_generated = tokens_generated_;
  if (step_tokens > 0) {
    s.last_step_tokens = step_tokens;
    s.last_step_sequences = step_sequences;
    s.last_step_seconds = step_seconds;
    total_step_seconds_ += step_seconds;
  }
  s.total_step_seconds = total_step_seconds_;
  s.step_loop_allocations = allocation_probe::count();
  s.heartbeat = Clock::now();
}

}  // namespace keel
