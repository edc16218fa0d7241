// RequestStream: the output side of one submitted request, shared by the
// engine thread (writer) and the client (reader).
//
// Everything the engine may ever write is bounded by the request itself
// (max_tokens ids, their logprobs, their text) and reserved at submit() on
// the submitting thread, so the step loop appends without allocating. The
// reader takes everything new since its last read in one StreamUpdate; it
// never blocks the writer for longer than one short copy.
//
// Times are steady_clock readings taken by the engine thread: when the
// request was first scheduled into a step, and when each token was
// emitted. The server's latency metrics (queue time, time to first token,
// inter-token latency) come from these rather than from when its I/O
// thread happened to read the stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/request.h"
#include "engine/sampler.h"

namespace keel {

struct Finish {
  FinishCause cause = FinishCause::kMaxTokens;
  std::string error;  // kEngineError: the engine's failure, for the client; empty otherwise
  std::string_view reason() const { return finish_reason(cause); }
};

// Everything that happened since the previous read.
struct StreamUpdate {
  using TimePoint = std::chrono::steady_clock::time_point;
  std::vector<int32_t> tokens;          // newly generated ids
  std::vector<TimePoint> token_times;   // when each of `tokens` was emitted (same length)
  std::string text;                     // new text: whole UTF-8 characters, stop strings removed
  // When Request::logprobs: [tokens.size() × (1 + top_logprobs)]: for each
  // new token its own logprob first, then the top alternatives, best first.
  std::vector<TokenLogprob> logprobs;
  int32_t logprobs_stride = 0;          // 1 + top_logprobs, or 0 without logprobs
  Usage usage;                          // totals so far
  // When the engine first put the request into a step (its queue time
  // ends there); empty while it still waits. Repeated in every update.
  std::optional<TimePoint> first_scheduled;
  std::optional<Finish> finish;         // set once, in the last update

  void clear();
};

class RequestStream {
 public:
  // Reserves room for everything `request` can produce.
  explicit RequestStream(const Request& request);

  // --- reader side (any thread) ---
  // Moves everything new into `out` (cleared first). Returns false when
  // there was nothing new.
  bool read(StreamUpdate& out);
  // Like read(), but waits up to `timeout` for something new.
  bool wait_and_read(StreamUpdate& out, std::chrono::milliseconds timeout);
  bool finished() const;

  // --- writer side (the engine thread) ---
  // `emitted`: when the token was sampled (reserved room: no allocation).
  void append_token(int32_t id, std::span<const TokenLogprob> logprobs, StreamUpdate::TimePoint emitted);
  void append_text(std::string_view text);
  void set_usage(const Usage& usage);
  // The first call wins; later ones (a preempted request scheduled again) are ignored.
  void mark_scheduled(StreamUpdate::TimePoint when);
  // `error` is for FinishCause::kEngineError (copying it may allocate; a
  // failing engine is past caring).
  void finish(FinishCause cause, std::string_view error = {});
  // Wakes waiting readers and calls the request's notifier.
  void notify();

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void()> on_events_;
  int32_t logprobs_stride_ = 0;
  // Unread output, reserved for max_tokens; read() copies it out and clears it.
  std::vector<int32_t> tokens_;
  std::vector<StreamUpdate::TimePoint> token_times_;
  std::string text_;
  std::vector<TokenLogprob> logprobs_;
  Usage usage_;
  std::optional<StreamUpdate::TimePoint> first_scheduled_;
  std::optional<Finish> finish_;
  bool finish_read_ = false;
};

}  // namespace keel
