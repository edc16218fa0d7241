#include "engine/request_stream.h"

namespace keel {

void StreamUpdate::clear() {
  tokens.clear();
  token_times.clear();
  text.clear();
  logprobs.clear();
  finish.reset();
}

RequestStream::RequestStream(const Request& request)
    : on_events_(request.on_events),
      logprobs_stride_(request.logprobs ? 1 + request.sampling.top_logprobs : 0) {
  const auto max_tokens = static_cast<size_t>(request.max_tokens);
  tokens_.reserve(max_tokens);
  token_times_.reserve(max_tokens);
  // Text has no exact bound per token; 8 bytes per token covers typical
  // vocabularies, and a rare longer reply grows the buffer once.
  text_.reserve(8 * max_tokens + 64);
  logprobs_.reserve(max_tokens * static_cast<size_t>(logprobs_stride_));
}

bool RequestStream::read(StreamUpdate& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  const bool finish_new = finish_ && !finish_read_;
  if (tokens_.empty() && text_.empty() && !finish_new) return false;
  // Copy, then clear: the writer's buffers keep their reserved capacity
  // (any allocation happens here, on the reader's thread).
  out.tokens.assign(tokens_.begin(), tokens_.end());
  out.token_times.assign(token_times_.begin(), token_times_.end());
  out.text.assign(text_);
  out.logprobs.assign(logprobs_.begin(), logprobs_.end());
  tokens_.clear();
  token_times_.clear();
  text_.clear();
  logprobs_.clear();
  out.first_scheduled = first_scheduled_;
  out.logprobs_stride = logprobs_stride_;
  out.usage = usage_;
  if (finish_new) {
    out.finish = finish_;
    finish_read_ = true;
  }
  return true;
}

bool RequestStream::wait_and_read(StreamUpdate& out, std::chrono::milliseconds timeout) {
  {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout,
                      [&] { return !tokens_.empty() || !text_.empty() || (finish_ && !finish_read_); });
  }
  return read(out);
}

bool RequestStream::finished() const {
  std::lock_guard lock(mutex_);
  return finish_.has_value();
}

void RequestStream::append_token(int32_t id, std::span<const TokenLogprob> logprobs,
                                 StreamUpdate::TimePoint emitted) {
  std::lock_guard lock(mutex_);
  tokens_.push_back(id);
  token_times_.push_back(emitted);
  if (logprobs_stride_ > 0) logprobs_.insert(logprobs_.end(), logprobs.begin(), logprobs.begin() + logprobs_stride_);
}

void RequestStream::append_text(std::string_view text) {
  if (text.empty()) return;
  std::lock_guard lock(mutex_);
  text_.append(text);
}

void RequestStream::set_usage(const Usage& usage) {
  std::lock_guard lock(mutex_);
  usage_ = usage;
}

void RequestStream::mark_scheduled(StreamUpdate::TimePoint when) {
  std::lock_guard lock(mutex_);
  if (!first_scheduled_) first_scheduled_ = when;
}

void RequestStream::finish(FinishCause cause, std::string_view error) {
  std::lock_guard lock(mutex_);
  if (!finish_) finish_ = Finish{cause, std::string(error)};
}

void RequestStream::notify() {
  changed_.notify_all();
  if (on_events_) on_events_();
}

}  // namespace keel
