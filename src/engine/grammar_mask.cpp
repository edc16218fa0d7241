#include "engine/grammar_mask.h"

#include <algorithm>
#include <array>
#include <limits>

namespace keel {

GrammarStep mask_logits(grammar::GrammarMatcher& matcher, grammar::MatcherScratch& scratch, std::span<float> logits,
                        std::span<const int32_t> end_ids, bool may_stop) {
  const bool complete = matcher.allowed_tokens(scratch);
  const bool end_allowed = complete && may_stop && !end_ids.empty();
  constexpr float kNever = -std::numeric_limits<float>::infinity();
  // End-of-generation tokens have no bytes, so the mask below removes
  // them; keep their logits to give back where the output may end. Models
  // have a handful (at most kMaxEndIds are kept).
  constexpr size_t kMaxEndIds = 32;
  std::array<float, kMaxEndIds> end_logits{};
  const size_t kept_ends = std::min(end_ids.size(), kMaxEndIds);
  for (size_t i = 0; i < kept_ends; ++i) end_logits[i] = logits[static_cast<size_t>(end_ids[i])];
  bool any = false;
  const size_t vocab = logits.size();
  for (size_t w = 0; w * 64 < vocab; ++w) {
    const uint64_t bits = scratch.allowed[w];
    any = any || bits != 0;
    if (bits == ~uint64_t{0}) continue;
    const size_t end = std::min(vocab, w * 64 + 64);
    for (size_t id = w * 64; id < end; ++id)
      if (!((bits >> (id - w * 64)) & 1)) logits[id] = kNever;
  }
  if (!any && !end_allowed) return complete ? GrammarStep::kComplete : GrammarStep::kStuck;
  if (end_allowed)
    for (size_t i = 0; i < kept_ends; ++i) logits[static_cast<size_t>(end_ids[i])] = end_logits[i];
  return GrammarStep::kSample;
}

}  // namespace keel
