#include "server/completion_session.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <random>

#include <spdlog/spdlog.h>

#include "engine/engine.h"
#include "server/engine_refusal.h"
#include "server/openai_response.h"
#include "server/assistant_output.h"
#include "server/engine_request_builder.h"
#include "server/prompt_builder.h"
#include "server/session_accounting.h"
#include "server/sse.h"

namespace keel::server {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// The engine calls this from its step loop; the transport installs the
// real wake function later, and a finished session removes it, so the
// engine never calls into a connection that is gone.
class Notifier {
 public:
  void set(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
  }
  void clear() { set(nullptr); }
  void notify() {
    std::lock_guard lock(mutex_);
    if (wake_) wake_();
  }

 private:
  std::mutex mutex_;
  std::function<void()> wake_;
};

struct Choice {
  RequestHandle handle;
  bool counts_prompt = false;  // the first choice of each prompt carries its prompt usage
  ChoiceOutput total;          // accumulated output
  Usage usage;
  bool finished = false;
  bool announced = false;      // chat stream: role sent
  std::optional<FinishCause> cause;
  std::string engine_error;    // FinishCause::kEngineError: the engine's cause
  std::optional<AssistantOutput> output;  // chat: reasoning and tool calls split from the content
  Clock::time_point first_token{}, last_token{};  // engine emission times

  // --context-overflow shift (context_shift below): the tokens the model
  // sees (prompt + output so far), how many lead it as the system
  // message(s) and stay, the tokens the client still allows beyond the
  // engine request under way, and the usage of the requests before it.
  bool slides = false;
  std::vector<int32_t> context;
  int32_t pinned = 0;
  int64_t budget_left = 0;
  int32_t shifts = 0;
  int32_t choice_of_prompt = 0;
  Usage before_shifts;
};

class CompletionSession final : public DeferredResponse {
 public:
  CompletionSession(ServerState& state, std::shared_ptr<ServingModel> model, CompletionRequest request, SessionInfo info)
      : state_(state), model_(std::move(model)), request_(std::move(request)), info_(std::move(info)) {
    identity_.endpoint = request_.endpoint;
    identity_.id = (request_.endpoint == Endpoint::kChat ? "chatcmpl-" : "cmpl-") + info_.request_id;
    identity_.created = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    identity_.model = model_->name();
    queue_deadline_ = info_.arrived + std::chrono::milliseconds(static_cast<int64_t>(
                                          state_.config.queue_timeout_s * 1000.0));
    state_.metrics.requests_in_flight.fetch_add(1);
    state_.metrics.requests_queued.fetch_add(1);
  }
  ~CompletionSession() override { end(499, "client went away"); }

  std::optional<ApiError> submit(const std::vector<PreparedPrompt>& prompts);
  void start(std::function<void()> wake) override { notifier_->set(std::move(wake)); }
  void poll(DeferredOutput& out) override;
  Clock::time_point next_deadline() const override { return queued_ ? queue_deadline_ : Clock::time_point::max(); }
  void abandon() override { end(499, "client went away"); }

 private:
  void read_choice(size_t index, Choice& choice, std::string& sse);
  // The engine request of a sliding choice ran out of context with budget
  // left: submits the shifted context as its next request. False (the
  // choice ends with "length") when the engine refuses it.
  bool context_shift(Choice& choice);
  void finish(DeferredOutput& out, std::string& sse);
  void end(int status, const std::string& error);
  Usage total_usage() const;

  ServerState& state_;
  std::shared_ptr<ServingModel> model_;  // the model this request runs on, to its end (a reload may install another)
  CompletionRequest request_;
  SessionInfo info_;
  ResponseIdentity identity_;
  std::shared_ptr<Notifier> notifier_ = std::make_shared<Notifier>();
  std::vector<Choice> choices_;
  StreamUpdate update_;
  bool queued_ = true;
  bool head_sent_ = false;
  bool ended_ = false;
  Clock::time_point queue_deadline_;
  Clock::time_point first_output_{};
};

std::optional<ApiError> CompletionSession::submit(const std::vector<PreparedPrompt>& prompts) {
  for (const PreparedPrompt& prompt : prompts) identity_.truncated_messages += prompt.truncated_messages;
  std::random_device entropy;
  for (const auto& prompt : prompts) {
    for (int32_t j = 0; j < request_.n; ++j) {
      // n > 1 with a seed: choice j uses seed + j, so choice 0 matches n = 1.
      Request engine_request = build_engine_request(request_, prompt.ids, j, model_->max_context(),
                                                    (static_cast<uint64_t>(entropy()) << 32) ^ entropy());
      engine_request.on_events = [notifier = notifier_] { notifier->notify(); };
      Choice choice;
      choice.choice_of_prompt = j;
      if (slides_context(state_, request_)) {
        // The engine request gets what fits; the rest of the client's budget
        // (one more context when it gave none) waits for a shift.
        const int64_t room = model_->max_context() - static_cast<int64_t>(prompt.ids.size());
        const int64_t budget = request_.max_tokens.value_or(model_->max_context());
        engine_request.max_tokens = static_cast<int32_t>(std::min(budget, room));
        engine_request.min_tokens = std::min(engine_request.min_tokens, engine_request.max_tokens);
        choice.slides = true;
        choice.context.reserve(static_cast<size_t>(model_->max_context()));  // never longer: it shifts first
        choice.context = prompt.ids;
        choice.pinned = prompt.pinned_tokens;
        choice.budget_left = budget - engine_request.max_tokens;
      }
      auto handle = model_->engine().submit(std::move(engine_request));
      if (!handle.ok()) {
        const ApiError error = refusal_error(handle.error());
        end(error.status, error.message);
        return error;
      }
      choice.handle = std::move(handle).value();
      if (request_.endpoint == Endpoint::kChat) {
        const bool parse_tools = request_.tool_choice != ToolChoice::kNone;
        choice.output.emplace(model_->split_reasoning(), parse_tools ? model_->tool_format() : nullptr,
                              parse_tools ? request_.tools : std::vector<tool_calls::ToolSpec>{},
                              "call_" + info_.request_id + "_" + std::to_string(choices_.size()));
      }
      choice.counts_prompt = j == 0;
      choice.total.index = static_cast<int32_t>(choices_.size());
      choices_.push_back(std::move(choice));
    }
  }
  return std::nullopt;
}

void CompletionSession::read_choice(size_t index, Choice& choice, std::string& sse) {
  if (choice.finished || !choice.handle.stream().read(update_)) return;
  const auto now = Clock::now();
  if (queued_) {
    // The queue time ends when the engine first scheduled the request (a
    // request ended before that, e.g. by a failing engine, waited until now).
    queued_ = false;
    first_output_ = update_.first_scheduled.value_or(now);
    state_.metrics.requests_queued.fetch_sub(1);
    state_.metrics.request_queue_time.observe(seconds_between(info_.arrived, first_output_));
  }
  // Latencies use the engine's emission time of each token, so tokens that
  // this thread happened to read together still count their real gaps.
  for (const Clock::time_point emitted : update_.token_times) {
    if (choice.first_token == Clock::time_point{}) {
      choice.first_token = emitted;
      state_.metrics.time_to_first_token.observe(seconds_between(info_.arrived, emitted));
    } else {
      state_.metrics.inter_token_latency.observe(seconds_between(choice.last_token, emitted));
    }
    choice.last_token = emitted;
  }
  if (choice.slides) {
    choice.context.insert(choice.context.end(), update_.tokens.begin(), update_.tokens.end());
    if (update_.finish && update_.finish->cause == FinishCause::kMaxTokens && choice.budget_left > 0) {
      const Usage segment = update_.usage;
      if (context_shift(choice)) {
        choice.before_shifts.completion_tokens += segment.completion_tokens;
        if (choice.shifts == 1) {  // the prompt is the client's, counted once
          choice.before_shifts.prompt_tokens = segment.prompt_tokens;
          choice.before_shifts.cached_tokens = segment.cached_tokens;
        }
        update_.finish.reset();  // the choice goes on in its next engine request
        update_.usage = Usage{};  // this request's tokens are in before_shifts now
      }
    }
  }
  choice.usage = update_.usage;
  if (choice.shifts > 0) {
    choice.usage.prompt_tokens = choice.before_shifts.prompt_tokens;
    choice.usage.cached_tokens = choice.before_shifts.cached_tokens;
    choice.usage.completion_tokens += choice.before_shifts.completion_tokens;
  }
  if (update_.finish) {
    choice.finished = true;
    choice.cause = update_.finish->cause;
    choice.engine_error = update_.finish->error;
  }
  // A failed engine's requests end with an error (see finish()), not with a finish_reason.
  const bool normal_finish = update_.finish && update_.finish->cause != FinishCause::kEngineError;
  std::optional<FinishReason> reason;
  if (normal_finish) reason = finish_reason_of(update_.finish->cause);
  OutputPiece piece;
  if (choice.output) {
    piece = choice.output->take(update_.text, update_.finish.has_value());
    state_.metrics.tool_calls.fetch_add(piece.calls.size());
    if (!piece.malformed.empty()) state_.metrics.malformed_tool_calls.fetch_add(1);
    if (!piece.malformed.empty())
      spdlog::warn("request {}: the model's tool call is malformed ({}); returned as content", info_.request_id,
                   piece.malformed);
    if (!piece.calls.empty() && reason) reason = FinishReason::kToolCalls;
  } else {
    piece.content = update_.text;
  }

  if (request_.stream) {
    ChoiceOutput delta;
    delta.index = static_cast<int32_t>(index);
    delta.text = piece.content;
    delta.reasoning = piece.reasoning;
    delta.tool_calls = piece.calls;
    delta.tool_call_index = choice.total.tool_calls.size();
    delta.tokens = update_.tokens;
    delta.logprobs = update_.logprobs;
    delta.logprobs_stride = update_.logprobs_stride;
    delta.first_delta = !choice.announced;
    delta.finish_reason = reason;
    // Tokens whose text is held back (a tool call) send nothing, unless their logprobs were asked for.
    const bool logprobs_due = request_.logprobs && !delta.tokens.empty();
    if (!delta.text.empty() || !delta.reasoning.empty() || logprobs_due || delta.finish_reason || delta.first_delta ||
        !piece.calls.empty()) {
      append_sse_event(sse, dump_json(stream_chunk(identity_, delta, request_.logprobs, model_->tokenizer(),
                                                   choice.total.text.size(), request_.include_usage)));
      choice.announced = true;
    }
  }
  ChoiceOutput& total = choice.total;
  total.text += piece.content;
  total.split_reasoning = choice.output && choice.output->splits_reasoning();
  total.reasoning += piece.reasoning;
  total.tool_calls.insert(total.tool_calls.end(), piece.calls.begin(), piece.calls.end());
  total.tokens.insert(total.tokens.end(), update_.tokens.begin(), update_.tokens.end());
  total.logprobs.insert(total.logprobs.end(), update_.logprobs.begin(), update_.logprobs.end());
  total.logprobs_stride = update_.logprobs_stride;
  if (reason) total.finish_reason = reason;
}

// --context-overflow shift: keep the pinned system prefix and the newest
// half of the rest, and run them as a new engine request. Its positions
// start again at 0, so they stay consistent; the prefix cache holds the
// pinned prefix's KV, so only the kept rest is recomputed.
bool CompletionSession::context_shift(Choice& choice) {
  std::vector<int32_t>& context = choice.context;
  const auto pinned = static_cast<size_t>(choice.pinned);
  const size_t rest = context.size() - std::min(pinned, context.size());
  context.erase(context.begin() + static_cast<std::ptrdiff_t>(pinned),
                context.begin() + static_cast<std::ptrdiff_t>(pinned + rest / 2));
  const int64_t room = model_->max_context() - static_cast<int64_t>(context.size());
  if (room < 1) return false;
  Request next = build_engine_request(request_, context, choice.choice_of_prompt, model_->max_context(), 0);
  next.max_tokens = static_cast<int32_t>(std::min(choice.budget_left, room));
  next.min_tokens = 0;
  // Another draw than the request before it, the same for a given seed.
  next.sampling.seed += static_cast<uint64_t>(choice.shifts + 1) * 0x9E3779B97F4A7C15ull;
  next.on_events = [notifier = notifier_] { notifier->notify(); };
  auto handle = model_->engine().submit(std::move(next));
  if (!handle.ok()) {
    spdlog::warn("request {}: the context shift was refused ({}); the choice ends at the context", info_.request_id,
                 handle.error().message);
    return false;
  }
  choice.budget_left -= std::min(choice.budget_left, room);
  choice.handle = std::move(handle).value();
  ++choice.shifts;
  ++identity_.context_shifts;
  return true;
}

Usage CompletionSession::total_usage() const {
  Usage usage;
  for (const auto& choice : choices_) {
    usage.completion_tokens += choice.usage.completion_tokens;
    if (choice.counts_prompt) {
      usage.prompt_tokens += choice.usage.prompt_tokens;
      usage.cached_tokens += choice.usage.cached_tokens;
    }
  }
  return usage;
}

void CompletionSession::poll(DeferredOutput& out) {
  if (ended_) {
    out.done = true;
    return;
  }
  std::string sse;
  for (size_t i = 0; i < choices_.size(); ++i) read_choice(i, choices_[i], sse);

  if (queued_ && Clock::now() >= queue_deadline_) {
    state_.metrics.count_rejection(RejectReason::kQueueTimeout);
    ApiError error = unavailable("the request waited in the queue for longer than --queue-timeout", 1.0);
    out.head = HttpResponse{error.status, "application/json", {{"Retry-After", "1"}}, error.body(), false};
    end(error.status, error.message);
    return;
  }
  const bool all_finished = std::all_of(choices_.begin(), choices_.end(), [](const Choice& c) { return c.finished; });
  const bool engine_failed = std::any_of(choices_.begin(), choices_.end(),
                                         [](const Choice& c) { return c.cause == FinishCause::kEngineError; });
  if (engine_failed && !head_sent_) sse.clear();  // nothing sent yet: the client gets a plain 503
  if (request_.stream) {
    if (!sse.empty() && !head_sent_) {
      out.head = HttpResponse{200, "text/event-stream", {{"X-Request-Id", info_.request_id}}, {}, false};
      out.streaming = true;
      head_sent_ = true;
    }
    out.chunk = std::move(sse);
  }
  if (all_finished || engine_failed) finish(out, out.chunk);
}

void CompletionSession::finish(DeferredOutput& out, std::string& sse) {
  const Usage usage = total_usage();
  bool shut_down = false;
  const Choice* failed = nullptr;
  for (const auto& choice : choices_) {
    shut_down |= choice.cause == FinishCause::kShutdown;
    if (choice.cause == FinishCause::kEngineError && !failed) failed = &choice;
  }
  if (failed) {
    // 503 before any output when the engine failed as a whole (retry on
    // another instance); 500 when only this request failed (a non-finite
    // logits row) and the engine serves on. Once a stream has begun its
    // status is sent, so the failure goes out as an error event (as vLLM
    // does), then [DONE].
    const bool engine_down = model_->engine().stats().failed;
    const ApiError error = engine_down ? unavailable("the engine failed: " + failed->engine_error)
                                       : ApiError{500, "the request failed: " + failed->engine_error, {}, std::nullopt};
    if (request_.stream && head_sent_) {
      append_sse_event(sse, error.body());
      append_sse_done(sse);
      out.done = true;
    } else {
      out.head = HttpResponse{error.status, "application/json", {{"X-Request-Id", info_.request_id}},
                              error.body(), true};
      out.chunk.clear();
    }
    end(error.status, error.message);
    return;
  }
  if (request_.stream) {
    if (request_.include_usage) append_sse_event(sse, dump_json(usage_chunk(identity_, usage)));
    append_sse_done(sse);
    if (!head_sent_) {
      out.head = HttpResponse{200, "text/event-stream", {{"X-Request-Id", info_.request_id}}, {}, false};
      out.streaming = true;
      head_sent_ = true;
    }
    out.done = true;
    end(200, "");
    return;
  }
  if (shut_down) {
    ApiError error = unavailable("the server stopped before the request finished");
    out.head = HttpResponse{error.status, "application/json", {{"X-Request-Id", info_.request_id}}, error.body(), false};
    end(error.status, error.message);
    return;
  }
  std::vector<ChoiceOutput> outputs;
  for (const auto& choice : choices_) outputs.push_back(choice.total);
  auto body = response_body(identity_, outputs, usage, request_.logprobs, model_->tokenizer());
  out.head = HttpResponse{200, "application/json", {{"X-Request-Id", info_.request_id}}, dump_json(body), false};
  end(200, "");
}

// Everything a session does once, however it ends: cancel what still runs,
// release its admission slots, count and log it.
void CompletionSession::end(int status, const std::string& error) {
  if (ended_) return;
  ended_ = true;
  notifier_->clear();
  const auto now = Clock::now();
  for (auto& choice : choices_)
    if (!choice.finished) model_->engine().cancel(choice.handle);
  if (queued_) state_.metrics.requests_queued.fetch_sub(1);
  queued_ = false;
  state_.metrics.requests_in_flight.fetch_sub(1);

  SessionOutcome outcome;
  outcome.status = status;
  outcome.error = error;
  outcome.usage = total_usage();
  outcome.ended = now;
  outcome.first_output = first_output_;
  for (const auto& choice : choices_) {
    if (outcome.first_token == Clock::time_point{}) outcome.first_token = choice.first_token;
    outcome.causes.push_back(choice.cause);
  }
  account_session(state_, info_, outcome);
}

}  // namespace

std::variant<std::shared_ptr<DeferredResponse>, ApiError> start_completion(ServerState& state,
                                                                           std::shared_ptr<ServingModel> model,
                                                                           CompletionRequest request,
                                                                           std::vector<PreparedPrompt> prompts,
                                                                           SessionInfo info) {
  auto session = std::make_shared<CompletionSession>(state, std::move(model), std::move(request), std::move(info));
  if (auto error = session->submit(prompts)) return *error;
  return std::shared_ptr<DeferredResponse>(std::move(session));
}

}  // namespace keel::server
