// The engine's step, after the forward: which way the step's logits come
// back (whole rows or each row's argmax), and what each sampling chunk
// does with its row (the finite check, the grammar, the sampler, logprobs,
// prompt logits). The loop around it is engine.cpp.
#include <algorithm>
#include <chrono>
#include <limits>
#include <string>

#include "engine/batch_builder.h"
#include "engine/engine.h"
#include "engine/grammar_mask.h"
#include "engine/request_state.h"
#include "engine/scheduler.h"
#include "engine/token_output.h"
#include "engine/token_texts.h"

namespace keel {

namespace {

using Clock = std::chrono::steady_clock;
}  // namespace

bool Engine::plan_samples_by_argmax() const {
  for (const ScheduledChunk& chunk : plan_) {
    const RequestState& request = *scheduler_->sequence(chunk.slot).request;
    if (request.wants_prompt_logits()) return false;
    if (chunk.samples && (request.request.logprobs || request.matcher ||
                          (request.request.ignore_eos && !end_of_generation_fits()) || !request.sampler.picks_argmax()))
      return false;
  }
  return true;
}

// After the forward: commit the filled blocks, and for every chunk that
// reached its sequence's end, sample the next token from its logits row
// (or take the row's argmax, found on the device, when by_argmax).
// Every token of the step is stamped with the same emission time.
Status Engine::forward_and_sample(int32_t logit_rows, bool by_argmax) {
  const Clock::time_point emitted = Clock::now();
  for (size_t i = 0; i < plan_.size(); ++i) {
    const ScheduledChunk& chunk = plan_[i];
    RequestState& request = *scheduler_->sequence(chunk.slot).request;
    const BatchBuilder::ChunkLogitRows rows = batch_builder_->logit_rows_of(i);
    // A row that is not finite (the model overflowed for this sequence)
    // ends this request alone, before its blocks of this step are committed
    // to the prefix cache; the rest of the batch goes on.
    const int32_t last_row = rows.first + rows.count - 1;
    if (chunk.samples && request.request.max_tokens > 0 && rows.count > 0 && rows.first + rows.count <= logit_rows &&
        !(by_argmax ? argmax_[static_cast<size_t>(last_row)].finite != 0
                    : all_finite(logits_.data() + static_cast<size_t>(last_row) * vocab_, vocab_))) {
      ++non_finite_rows_;
      finish(request, FinishCause::kEngineError,
             "the model's next-token logits for this request are not finite (NaN or infinity); no token was sampled");
      scheduler_->retire(chunk.slot);  // may free the request: not touched after this
      continue;
    }
    scheduler_->complete_chunk(chunk);
    if (request.wants_prompt_logits() && rows.count > 0) deliver_prompt_logits(request, chunk, rows.first);
    if (!chunk.samples) continue;
    if (request.request.max_tokens == 0) {  // prompt logits only: nothing to sample
      finish(request, FinishCause::kMaxTokens);
      scheduler_->retire(chunk.slot);
      continue;
    }
    const int32_t row = last_row;  // the chunk's last logit row
    if (rows.count == 0 || row >= logit_rows) return Error{"a sampling chunk without its logits row"};
    int32_t token = 0;
    std::span<const TokenLogprob> logprobs;
    if (by_argmax) {
      const RowArgmax& found = argmax_[static_cast<size_t>(row)];
      token = request.request.ignore_eos ? found.index_among_allowed : found.index;
    } else if (const std::optional<int32_t> sampled = sample_row(request, chunk.slot, row, logprobs)) {
      token = *sampled;
    } else {
      continue;  // the request ended there (its grammar): not touched after this
    }
    ++tokens_generated_;
    if (const auto cause = accept_token(request, token, logprobs, emitted, tokenizer_, *token_texts_, max_context_)) {
      finish(request, *cause);
      scheduler_->retire(chunk.slot);  // may free the request: not touched after this
      continue;
    }
    update_usage(request);
    request.stream.notify();
  }
  return ok_status();
}

// Samples the next token of `request` from logits row `row` with the full
// row on the host: ignore_eos masking, the grammar's mask, the sampler, the
// grammar's acceptance and logprobs (into `logprobs`). Nothing when the
// request ended here instead (finished and retired).
std::optional<int32_t> Engine::sample_row(RequestState& request, int32_t slot, int32_t row,
                                          std::span<const TokenLogprob>& logprobs) {
  const std::span<float> logits = std::span(logits_).subspan(static_cast<size_t>(row) * vocab_, vocab_);
  if (request.request.logprobs) std::copy(logits.begin(), logits.end(), raw_logits_.begin());
  // ignore_eos: the model's end-of-generation ids cannot be drawn at all
  // (as llama.cpp does), so the text runs to max_tokens with no empty,
  // textless tokens in it. logprobs still report the unmasked model.
  if (request.request.ignore_eos)
    for (const int32_t id : end_of_generation_ids_) logits[static_cast<size_t>(id)] = -std::numeric_limits<float>::infinity();
  if (request.matcher) {
    const bool may_stop = !request.request.ignore_eos && request.generated() >= request.request.min_tokens;
    const GrammarStep allowed = mask_logits(*request.matcher, *grammar_scratch_, logits, end_of_generation_ids_, may_stop);
    if (allowed != GrammarStep::kSample) {
      if (allowed == GrammarStep::kComplete) finish(request, FinishCause::kGrammarComplete);
      else finish(request, FinishCause::kEngineError, "the output's grammar allows no next token here: it nests deeper than "
                                                      "the matcher follows (" + std::to_string(grammar::kMaxStackDepth) + " levels)");
      scheduler_->retire(slot);  // may free the request: not touched after this
      return std::nullopt;
    }
  }
  const int32_t token = request.sampler.sample(logits, request.prompt(), request.output());
  if (request.matcher && !request.matcher->accept(token_texts_->bytes(token), *grammar_scratch_)) {
    // The masks are precomputed as if stacks were unbounded; a grammar
    // that nests past the matcher's depth ends here.
    finish(request, FinishCause::kEngineError,
           request.matcher->too_deep() ? "the output's grammar nests deeper than the matcher follows (" +
                                             std::to_string(grammar::kMaxStackDepth) + " levels)"
                                       : "an internal check failed: the sampled token leaves the request's grammar");
    scheduler_->retire(slot);
    return std::nullopt;
  }
  if (request.request.logprobs) {
    const std::span<TokenLogprob> top = std::span(request.logprobs).subspan(1);
    request.logprobs[0] = TokenLogprob{token, request.sampler.logprobs(raw_logits_, token, top)};
    logprobs = request.logprobs;
  }
  return token;
}

void Engine::deliver_prompt_logits(RequestState& request, const ScheduledChunk& chunk, int32_t first_row) {
  for (int32_t i = 0; i < chunk.count; ++i) {
    const int32_t position = chunk.start + i;
    // Each prompt position once: a recompute after preemption repeats none.
    if (position != request.prompt_logits_delivered || position >= request.prompt_length) continue;
    request.request.on_prompt_logits(
        position, std::span<const float>(logits_).subspan(static_cast<size_t>(first_row + i) * vocab_, vocab_));
    ++request.prompt_logits_delivered;
  }
}

}  // namespace keel
