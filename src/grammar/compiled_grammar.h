// CompiledGrammar: a grammar prepared against one model's vocabulary, so
// that the set of tokens allowed at each step costs microseconds instead
// of a walk over every token.
//
// A request's match state is a set of stacks (stack_set.h); the top of a
// stack is a grammar position. For every position that can be a top, the
// compile step runs the whole vocabulary (as a trie, vocabulary.h) from
// that position alone, not knowing what is below it, and sorts each token
// into one of three kinds (XGrammar's adaptive token mask, in outline):
// - accepted: some way of matching the token stays inside the rules
//   entered from the position, so it matches whatever is below;
// - rejected: no way matches, even guessing every possible continuation
//   after the position's rule ends (its follow positions);
// - undecided: only a way that goes past the rule's end matches; a request
//   checks these against its real stack at run time.
// At a string's characters nearly every token is accepted and only those
// that close the string (`",` `"}` ...) are undecided, so a step checks a
// few hundred tokens, not 150,000.
//
// Compiling costs one trie walk per position; CompiledGrammar is immutable
// and shared by every request with the same grammar (server: GrammarCache).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.h"
#include "grammar/grammar.h"
#include "grammar/grammar_analysis.h"
#include "grammar/vocabulary.h"

namespace keel::grammar {

// The precomputed tokens of one position.
struct PositionMask {
  std::vector<uint64_t> accepted_bits;  // [vocab / 64] when many are accepted, else empty
  std::vector<int32_t> accepted_ids;    // when few are
  // Token ids to check against the full stack, in byte order (so that
  // the check walks them as a trie), and how many leading bytes each
  // shares with the one before it.
  std::vector<int32_t> undecided;
  std::vector<uint32_t> undecided_common_prefix;
};

struct CompileStats {
  int32_t positions = 0;        // positions with a precomputed mask
  int64_t undecided_tokens = 0; // summed over positions
  int32_t most_undecided = 0;   // at any one position
  double milliseconds = 0;
};

class CompiledGrammar {
 public:
  static Result<std::shared_ptr<const CompiledGrammar>> compile(Grammar grammar,
                                                                std::shared_ptr<const Vocabulary> vocabulary);

  CompiledGrammar(Grammar grammar, std::shared_ptr<const Vocabulary> vocabulary);  // use compile()
  CompiledGrammar(const CompiledGrammar&) = delete;
  CompiledGrammar& operator=(const CompiledGrammar&) = delete;

  const Grammar& grammar() const { return grammar_; }
  const GrammarAnalysis& analysis() const { return analysis_; }
  const Vocabulary& vocabulary() const { return *vocabulary_; }
  // The mask of a position that can be a stack's top; null for others.
  const PositionMask* mask_at(int32_t position) const {
    const int32_t index = mask_index_[static_cast<size_t>(position)];
    return index < 0 ? nullptr : &masks_[static_cast<size_t>(index)];
  }
  const CompileStats& stats() const { return stats_; }

 private:
  void precompute();

  const Grammar grammar_;
  const GrammarAnalysis analysis_;  // refers to grammar_
  std::shared_ptr<const Vocabulary> vocabulary_;
  std::vector<int32_t> mask_index_;  // [elements] index into masks_, or -1
  std::vector<PositionMask> masks_;
  CompileStats stats_;
};

}  // namespace keel::grammar
