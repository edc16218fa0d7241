// GrammarMatcher: one request's place in its grammar. Each step it says
// which tokens keep the output inside the grammar (allowed_tokens), and
// after the sampler has picked one it moves past that token's bytes
// (accept). Its state is reserved when it is made; neither call allocates,
// so a constrained request keeps the engine's step loop allocation-free.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "grammar/byte_stepper.h"
#include "grammar/compiled_grammar.h"
#include "grammar/stack_set.h"

namespace keel::grammar {

// Working memory of allowed_tokens / accept, lent by the engine (one per
// sampling thread) so that a waiting request holds none of it.
struct MatcherScratch {
  // `longest_token`: the most bytes of any token (Vocabulary::longest).
  MatcherScratch(int32_t vocab_size, size_t longest_token);
  std::vector<uint64_t> allowed;  // [vocab / 64] bits: the allowed tokens
  StackSet current;
  StackSet next;
  std::vector<StackSet> levels;   // [longest + 1] the match after each prefix of a trie walk
};

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar);

  // Sets scratch.allowed to the tokens whose bytes keep the output inside
  // the grammar. Returns whether the output may end here (the grammar is
  // complete): then the model's end-of-generation tokens are allowed too.
  bool allowed_tokens(MatcherScratch& scratch);
  // Moves past `bytes`. False, with the state unchanged, when they leave the grammar.
  bool accept(std::string_view bytes, MatcherScratch& scratch);
  bool can_end() const;
  // A stack was dropped for depth (kMaxStackDepth): the grammar nests deeper than the matcher follows.
  bool too_deep() const { return stepper_.too_deep || state_.overflowed; }

  const CompiledGrammar& grammar() const { return *grammar_; }

 private:
  // Sets the bits of the tokens of `mask.undecided` that can be matched
  // from the one stack `frames`, walking them as a trie.
  void check_undecided(std::span<const int32_t> frames, const PositionMask& mask, MatcherScratch& scratch);
  // Whether `bytes` can be matched from the one stack `frames`.
  bool matches(std::span<const int32_t> frames, std::string_view bytes, MatcherScratch& scratch);

  std::shared_ptr<const CompiledGrammar> grammar_;
  StackSet state_;
  ByteStepper stepper_;
};

}  // namespace keel::grammar
