// GrammarAnalysis: what the matcher needs to know about a grammar ahead of
// time — which parts can match nothing (nullable), which bytes each
// position can start with (first sets), and where matching goes on after a
// rule ends (follow positions) — plus the check that refuses left
// recursion, which would let the matcher expand rules forever without
// consuming a byte.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.h"
#include "grammar/grammar.h"

namespace keel::grammar {

struct GrammarAnalysis {
  explicit GrammarAnalysis(const Grammar& grammar);

  // The element at `position` calls a rule and is the last of its
  // alternative: the call needs no return position (a tail call), so a
  // repetition written as `x ::= a x | ` never deepens the stack.
  bool tail_call(int32_t position) const;

  const Grammar& grammar;
  std::vector<uint8_t> rule_nullable;  // [rules] the rule can match the empty string
  std::vector<uint8_t> rest_nullable;  // [elements] the alternative's rest from here can match nothing
  std::vector<ByteSet> first;          // [elements] bytes the alternative's rest from here can begin with
  std::vector<int32_t> rule_of;        // [elements] the rule of the alternative the element is in
  // [rules] the positions where matching may go on when the rule's
  // alternative ends: after each non-tail call of it, and, for a tail call
  // of it, wherever the calling rule goes on (transitively). Empty with
  // follow_known false when there are more than kMaxFollow of them.
  std::vector<std::vector<int32_t>> follow;
  std::vector<uint8_t> follow_known;

  static constexpr size_t kMaxFollow = 256;
};

// An error naming a rule that can reach itself without consuming a byte.
Status check_left_recursion(const Grammar& grammar);

}  // namespace keel::grammar
