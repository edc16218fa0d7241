#include "grammar/grammar_matcher.h"

#include <algorithm>

namespace keel::grammar {
namespace {

constexpr size_t kStateInts = 1 << 12;
constexpr size_t kLevelInts = 1 << 10;

void set_bit(std::vector<uint64_t>& bits, int32_t id) { bits[static_cast<size_t>(id) / 64] |= uint64_t{1} << (id % 64); }
bool has_bit(const std::vector<uint64_t>& bits, int32_t id) { return (bits[static_cast<size_t>(id) / 64] >> (id % 64)) & 1; }

}  // namespace

MatcherScratch::MatcherScratch(int32_t vocab_size, size_t longest_token)
    : allowed((static_cast<size_t>(vocab_size) + 63) / 64), current(kStateInts), next(kStateInts) {
  levels.reserve(longest_token + 1);
  for (size_t i = 0; i <= longest_token; ++i) levels.emplace_back(kLevelInts);
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar)
    : grammar_(std::move(grammar)), state_(kStateInts), stepper_(grammar_->analysis(), false) {
  const int32_t start[] = {grammar_->grammar().start};
  state_.add(start, 0, 0);
}

bool GrammarMatcher::can_end() const {
  for (size_t at = 0; at < state_.end(); at = state_.next(at))
    if (grammar::can_end(grammar_->analysis(), state_.frames(at))) return true;
  return false;
}

bool GrammarMatcher::allowed_tokens(MatcherScratch& scratch) {
  std::fill(scratch.allowed.begin(), scratch.allowed.end(), 0);
  const Vocabulary& vocabulary = grammar_->vocabulary();
  for (size_t at = 0; at < state_.end(); at = state_.next(at)) {
    const auto frames = state_.frames(at);
    const PositionMask* mask = grammar_->mask_at(frames.back());
    if (mask == nullptr) {
      // Not a precomputed top (a complete stack's end): check every token.
      for (const int32_t id : vocabulary.sorted())
        if (!has_bit(scratch.allowed, id) && matches(frames, vocabulary.bytes(id), scratch)) set_bit(scratch.allowed, id);
      continue;
    }
    if (!mask->accepted_bits.empty())
      for (size_t w = 0; w < scratch.allowed.size(); ++w) scratch.allowed[w] |= mask->accepted_bits[w];
    for (const int32_t id : mask->accepted_ids) set_bit(scratch.allowed, id);
    check_undecided(frames, *mask, scratch);
  }
  return can_end();
}

void GrammarMatcher::check_undecided(std::span<const int32_t> frames, const PositionMask& mask, MatcherScratch& scratch) {
  const Vocabulary& vocabulary = grammar_->vocabulary();
  auto& levels = scratch.levels;
  levels[0].clear();
  levels[0].add(frames, 0, 0);
  size_t computed = 0;  // levels[0 .. computed] hold the matches of the last token's prefix
  for (size_t i = 0; i < mask.undecided.size();) {
    const std::string_view token = vocabulary.bytes(mask.undecided[i]);
    size_t depth = std::min<size_t>(mask.undecided_common_prefix[i], computed);
    bool dead = false;
    while (depth < token.size()) {
      stepper_.step(levels[depth], static_cast<uint8_t>(token[depth]), levels[depth + 1]);
      ++depth;
      if (levels[depth].empty()) {
        dead = true;
        break;
      }
    }
    computed = depth;
    if (!dead) set_bit(scratch.allowed, mask.undecided[i]);
    // When dead, every following token with the same first `depth` bytes fails too.
    ++i;
    if (dead)
      while (i < mask.undecided.size() && mask.undecided_common_prefix[i] >= depth) ++i;
  }
}

bool GrammarMatcher::matches(std::span<const int32_t> frames, std::string_view bytes, MatcherScratch& scratch) {
  scratch.current.clear();
  scratch.current.add(frames, 0, 0);
  for (const char byte : bytes) {
    stepper_.step(scratch.current, static_cast<uint8_t>(byte), scratch.next);
    if (scratch.next.empty()) return false;
    std::swap(scratch.current, scratch.next);
  }
  return true;
}

bool GrammarMatcher::accept(std::string_view bytes, MatcherScratch& scratch) {
  scratch.current.assign(state_);
  for (const char byte : bytes) {
    stepper_.step(scratch.current, static_cast<uint8_t>(byte), scratch.next);
    if (scratch.next.empty()) return false;
    std::swap(scratch.current, scratch.next);
  }
  state_.assign(scratch.current);
  return true;
}

}  // namespace keel::grammar
