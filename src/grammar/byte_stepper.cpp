#include "grammar/byte_stepper.h"

#include <algorithm>

namespace keel::grammar {

void ByteStepper::step(const StackSet& in, uint8_t byte, StackSet& out) {
  out.clear();
  expansions_ = 0;
  for (size_t at = 0; at < in.end(); at = in.next(at)) {
    const auto frames = in.frames(at);
    std::copy(frames.begin(), frames.end(), frames_.begin());
    descend(static_cast<int32_t>(frames.size()), in.level(at), in.origin(at), byte, out);
  }
}

// frames_[0, depth) is a stack; frames_[depth - 1] must take `byte`.
// Every change to frames_ is undone before returning, so that the caller's
// other branches see the stack they started from.
void ByteStepper::descend(int32_t depth, int32_t level, int32_t origin, uint8_t byte, StackSet& out) {
  if (expansion_depth_ >= kMaxExpansionDepth || ++expansions_ > kMaxExpansionsPerByte) {
    too_deep = true;
    return;
  }
  ++expansion_depth_;
  descend_frames(depth, level, origin, byte, out);
  --expansion_depth_;
}

void ByteStepper::descend_frames(int32_t depth, int32_t level, int32_t origin, uint8_t byte, StackSet& out) {
  const Grammar& g = analysis_.grammar;
  while (depth > 0) {
    const auto top = static_cast<size_t>(depth - 1);
    const int32_t position = frames_[top];
    const Element& e = g.elements[static_cast<size_t>(position)];
    if (e.kind == ElementKind::kBytes) {
      if (!g.byte_sets[static_cast<size_t>(e.value)].has(byte)) return;
      frames_[top] = position + 1;
      emit(depth, level, origin, out);
      frames_[top] = position;
      return;
    }
    if (e.kind == ElementKind::kEnd) {
      if (depth > 1) {  // the alternative is done: go on at the return position below
        --depth;
        continue;
      }
      // The bottom rule is complete. In a request's state nothing follows.
      if (!look_ahead_) return;
      const auto rule = static_cast<size_t>(origin);
      if (level >= kMaxLookAheadLevels || !analysis_.follow_known[rule]) {
        cut = true;
        return;
      }
      for (const int32_t next : analysis_.follow[rule]) {
        frames_[0] = next;
        descend(1, level + 1, analysis_.rule_of[static_cast<size_t>(next)], byte, out);
      }
      frames_[0] = position;
      return;
    }
    // A rule call.
    const auto rule = static_cast<size_t>(e.value);
    if (analysis_.rule_nullable[rule]) {  // the rule matches nothing; the byte goes to what follows
      frames_[top] = position + 1;
      descend(depth, level, origin, byte, out);
      frames_[top] = position;
    }
    const bool tail = analysis_.tail_call(position);
    if (!tail && depth == kMaxStackDepth) {
      too_deep = true;
      return;
    }
    for (const int32_t alternative : g.rules[rule].alternatives) {
      if (!analysis_.first[static_cast<size_t>(alternative)].has(byte)) continue;
      if (tail) {
        frames_[top] = alternative;
        descend(depth, level, origin, byte, out);
      } else {
        frames_[top] = position + 1;
        frames_[top + 1] = alternative;
        descend(depth + 1, level, origin, byte, out);
      }
    }
    frames_[top] = position;
    return;
  }
}

// Pops finished alternatives (keeping the bottom frame) and records the stack.
void ByteStepper::emit(int32_t depth, int32_t level, int32_t origin, StackSet& out) {
  const Grammar& g = analysis_.grammar;
  while (depth > 1 && g.elements[static_cast<size_t>(frames_[static_cast<size_t>(depth - 1)])].kind == ElementKind::kEnd)
    --depth;
  out.add(std::span<const int32_t>(frames_).first(static_cast<size_t>(depth)), level, origin);
}

bool can_end(const GrammarAnalysis& analysis, std::span<const int32_t> frames) {
  return std::ranges::all_of(frames, [&](int32_t p) { return analysis.rest_nullable[static_cast<size_t>(p)] != 0; });
}

}  // namespace keel::grammar
