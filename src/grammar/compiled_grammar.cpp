#include "grammar/compiled_grammar.h"

#include <algorithm>
#include <chrono>

#include "grammar/byte_stepper.h"

namespace keel::grammar {
namespace {

// Room for the stacks one byte can lead to in the precomputation.
constexpr size_t kLookAheadStackInts = 1 << 13;

// The positions that can be a stack's top: the start, the position after
// each byte set (unless its alternative ends there: those are popped), and
// the return position after each non-tail call.
std::vector<int32_t> top_positions(const GrammarAnalysis& analysis) {
  const Grammar& g = analysis.grammar;
  std::vector<int32_t> tops{g.start};
  for (size_t p = 0; p + 1 < g.elements.size(); ++p) {
    const Element& e = g.elements[p];
    const bool after_bytes = e.kind == ElementKind::kBytes && g.elements[p + 1].kind != ElementKind::kEnd;
    const bool return_position = e.kind == ElementKind::kRule && !analysis.tail_call(static_cast<int32_t>(p));
    if (after_bytes || return_position) tops.push_back(static_cast<int32_t>(p) + 1);
  }
  std::sort(tops.begin(), tops.end());
  tops.erase(std::unique(tops.begin(), tops.end()), tops.end());
  return tops;
}

// Runs every token of the vocabulary from `position` alone and sorts it
// into accepted / rejected / undecided (see the header).
class TrieWalk {
 public:
  TrieWalk(const GrammarAnalysis& analysis, const Vocabulary& vocabulary)
      : analysis_(analysis), vocabulary_(vocabulary), stepper_(analysis, true) {
    levels_.reserve(vocabulary.longest() + 1);
    for (size_t i = 0; i <= vocabulary.longest(); ++i) levels_.emplace_back(kLookAheadStackInts);
    cut_.assign(vocabulary.longest() + 1, 0);
  }

  PositionMask run(int32_t position) {
    std::vector<int32_t> accepted;
    PositionMask mask;
    const auto sorted = vocabulary_.sorted();
    levels_[0].clear();
    const int32_t start[] = {position};
    levels_[0].add(start, 0, analysis_.rule_of[static_cast<size_t>(position)]);
    size_t computed = 0;  // levels_[0 .. computed] hold the matches of the last token's prefix
    for (size_t i = 0; i < sorted.size();) {
      const std::string_view token = vocabulary_.bytes(sorted[i]);
      size_t depth = std::min<size_t>(vocabulary_.common_prefix(i), computed);
      bool dead = false;
      while (depth < token.size()) {
        stepper_.cut = stepper_.too_deep = false;
        stepper_.step(levels_[depth], static_cast<uint8_t>(token[depth]), levels_[depth + 1]);
        cut_[depth + 1] = cut_[depth] || stepper_.cut || stepper_.too_deep || levels_[depth + 1].overflowed;
        ++depth;
        if (levels_[depth].empty()) {
          dead = true;
          break;
        }
      }
      computed = depth;
      if (dead) {
        // Every token that starts with these `depth` bytes fails the same way.
        const size_t end = vocabulary_.subtree_end(i, depth);
        if (cut_[depth])
          for (size_t j = i; j < end; ++j) mask.undecided.push_back(sorted[j]);
        i = end;
        continue;
      }
      bool inside = false;  // some way matched the whole token without leaving the position's rule
      for (size_t at = 0; at < levels_[depth].end() && !inside; at = levels_[depth].next(at))
        inside = levels_[depth].level(at) == 0;
      if (inside) accepted.push_back(sorted[i]);
      else mask.undecided.push_back(sorted[i]);
      ++i;
    }
    const auto vocab = static_cast<size_t>(vocabulary_.size());
    if (accepted.size() * 32 > vocab) {
      mask.accepted_bits.assign((vocab + 63) / 64, 0);
      for (const int32_t id : accepted) mask.accepted_bits[static_cast<size_t>(id) / 64] |= uint64_t{1} << (id % 64);
    } else {
      std::sort(accepted.begin(), accepted.end());
      mask.accepted_ids = std::move(accepted);
    }
    // The walk visits tokens in byte order already; keep that order.
    mask.undecided_common_prefix.assign(mask.undecided.size(), 0);
    for (size_t i = 1; i < mask.undecided.size(); ++i) {
      const std::string_view x = vocabulary_.bytes(mask.undecided[i - 1]), y = vocabulary_.bytes(mask.undecided[i]);
      const auto mismatch = std::mismatch(x.begin(), x.end(), y.begin(), y.end());
      mask.undecided_common_prefix[i] = static_cast<uint32_t>(mismatch.first - x.begin());
    }
    return mask;
  }

 private:
  const GrammarAnalysis& analysis_;
  const Vocabulary& vocabulary_;
  ByteStepper stepper_;
  std::vector<StackSet> levels_;  // [longest + 1] the match after each prefix length
  std::vector<uint8_t> cut_;      // [longest + 1] a path was cut within that prefix
};

}  // namespace

CompiledGrammar::CompiledGrammar(Grammar grammar, std::shared_ptr<const Vocabulary> vocabulary)
    : grammar_(std::move(grammar)), analysis_(grammar_), vocabulary_(std::move(vocabulary)) {}

Result<std::shared_ptr<const CompiledGrammar>> CompiledGrammar::compile(Grammar grammar,
                                                                        std::shared_ptr<const Vocabulary> vocabulary) {
  KEEL_TRY(check_left_recursion(grammar));
  auto compiled = std::make_shared<CompiledGrammar>(std::move(grammar), std::move(vocabulary));
  compiled->precompute();
  return std::shared_ptr<const CompiledGrammar>(std::move(compiled));
}

void CompiledGrammar::precompute() {
  const auto began = std::chrono::steady_clock::now();
  mask_index_.assign(grammar_.elements.size(), -1);
  TrieWalk walk(analysis_, *vocabulary_);
  for (const int32_t position : top_positions(analysis_)) {
    mask_index_[static_cast<size_t>(position)] = static_cast<int32_t>(masks_.size());
    masks_.push_back(walk.run(position));
    const auto undecided = static_cast<int32_t>(masks_.back().undecided.size());
    stats_.undecided_tokens += undecided;
    stats_.most_undecided = std::max(stats_.most_undecided, undecided);
  }
  stats_.positions = static_cast<int32_t>(masks_.size());
  stats_.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
}

}  // namespace keel::grammar
