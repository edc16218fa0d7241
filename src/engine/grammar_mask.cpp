#include "engine/grammar_mask.h"

#include <algorithm>
#include <array>
#include <bit>
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
  // A word of the mask at a time: most words are all allowed (inside a
  // string) or all refused (between JSON values), so whole words are
  // skipped or filled; mixed words visit only their refused bits.
  for (size_t w = 0; w * 64 < vocab; ++w) {
    const size_t first = w * 64;
    const size_t count = std::min<size_t>(64, vocab - first);
    const uint64_t valid = count == 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1;
    const uint64_t refused = ~scratch.allowed[w] & valid;
    any = any || refused != valid;
    if (refused == 0) continue;
    if (refused == valid) {
      std::fill_n(logits.begin() + static_cast<std::ptrdiff_t>(first), count, kNever);
      continue;
    }
    for (uint64_t bits = refused; bits != 0; bits &= bits - 1) logits[first + static_cast<size_t>(std::countr_zero(bits))] = kNever;
  }
  if (!any && !end_allowed) return complete ? GrammarStep::kComplete : GrammarStep::kStuck;
  if (end_allowed)
    for (size_t i = 0; i < kept_ends; ++i) logits[static_cast<size_t>(end_ids[i])] = end_logits[i];
  return GrammarStep::kSample;
}

}  // namespace keel
