// grammar_mask: a constrained request's grammar applied to its logits row,
// between the model and the sampler (issue 15). Tokens the grammar does
// not allow get a logit of -infinity, so that no sampling setting can pick
// them; the model's end-of-generation tokens keep theirs only where the
// grammar is complete. Other requests in the batch are not touched.
#pragma once

#include <cstdint>
#include <span>

#include "grammar/grammar_matcher.h"

namespace keel {

enum class GrammarStep : uint8_t {
  kSample,    // some token is allowed: sample from the masked row
  kComplete,  // the grammar is complete and allows nothing more: the output ends here
  kStuck,     // nothing is allowed and the grammar is not complete (a stack past the matcher's depth)
};

// `end_ids`: the model's end-of-generation ids; `may_stop`: the request
// lets them end it (not ignore_eos).
GrammarStep mask_logits(grammar::GrammarMatcher& matcher, grammar::MatcherScratch& scratch, std::span<float> logits,
                        std::span<const int32_t> end_ids, bool may_stop);

}  // namespace keel
