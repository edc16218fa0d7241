// ByteStepper: moves a grammar match forward by one byte.
//
// Each stack in the input set is offered the byte: the element at its top
// either takes it (a byte set that contains it) or is expanded — a rule
// call into those of its alternatives whose first set holds the byte, or
// past the rule when it can match nothing — until a byte set is reached.
// Every way that takes the byte gives one stack of the output; ends of
// alternatives are popped eagerly, so a top is never an end unless the
// stack's bottom rule is complete. Nothing allocates: the expansion works
// in a fixed frame buffer, and the output is a StackSet.
//
// Two modes. In a request's state (look_ahead false) a stack whose bottom
// rule is complete can take no byte: the grammar has ended. In the mask
// precomputation (look_ahead true) a stack starts from one position with
// no knowledge of what is below it; when its bottom rule ends it goes on
// at each of the rule's follow positions, one level deeper, and beyond
// kMaxLookAheadLevels (or when the follow positions are unknown) the path
// is cut and reported, so the token stays undecided.
#pragma once

#include <array>
#include <cstdint>

#include "grammar/grammar_analysis.h"
#include "grammar/stack_set.h"

namespace keel::grammar {

inline constexpr int32_t kMaxStackDepth = 128;
inline constexpr int32_t kMaxLookAheadLevels = 4;
// Bounds on the work of one byte, so that no grammar can make a step
// recurse past the thread's stack or run for long: a stack whose expansion
// needs more is dropped (too_deep), as one past kMaxStackDepth is.
inline constexpr int32_t kMaxExpansionDepth = 2048;
inline constexpr int64_t kMaxExpansionsPerByte = 1 << 16;

class ByteStepper {
 public:
  ByteStepper(const GrammarAnalysis& analysis, bool look_ahead) : analysis_(analysis), look_ahead_(look_ahead) {}

  // out = the stacks of `in` after `byte` (out is cleared first).
  void step(const StackSet& in, uint8_t byte, StackSet& out);

  // Set by step() when a path was cut (look-ahead only) or dropped for
  // depth or work; they stay set until the caller clears them.
  bool cut = false;
  bool too_deep = false;

 private:
  // level and origin: StackSet's (0 outside the look-ahead).
  void descend(int32_t depth, int32_t level, int32_t origin, uint8_t byte, StackSet& out);
  void descend_frames(int32_t depth, int32_t level, int32_t origin, uint8_t byte, StackSet& out);
  void emit(int32_t depth, int32_t level, int32_t origin, StackSet& out);

  const GrammarAnalysis& analysis_;
  const bool look_ahead_;
  std::array<int32_t, kMaxStackDepth + 1> frames_{};
  int32_t expansion_depth_ = 0;
  int64_t expansions_ = 0;  // descend() calls in this step
};

// Whether the stack can end here: every frame's rest can match nothing.
bool can_end(const GrammarAnalysis& analysis, std::span<const int32_t> frames);

}  // namespace keel::grammar
