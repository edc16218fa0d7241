// StackSet: the state of a grammar match — every stack of positions the
// bytes so far can continue from, in one fixed buffer.
//
// A stack is [depth, level, origin, frames[depth]]; frames[depth - 1] is
// the position to match next, the frames below are where to go on when its
// alternative ends. The other two serve the look-ahead match of the mask
// precomputation (compiled_grammar.h), which starts from one position
// without the frames below it: `level` counts the times it has gone past
// the end of its bottom rule into a guessed continuation, and `origin` is
// the rule whose end the bottom frame's end stands for (a tail call
// replaces the bottom frame, but ending the callee ends the caller). Both
// are 0 in a request's state.
// The buffer never grows: a stack that does not fit is dropped and
// `overflowed` is set (the matcher then allows fewer continuations, never
// more).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace keel::grammar {

class StackSet {
 public:
  explicit StackSet(size_t capacity_ints) : data_(capacity_ints) {}

  void clear() {
    used_ = 0;
    count_ = 0;
    overflowed = false;
  }
  // Adds a stack unless an equal one is already there.
  void add(std::span<const int32_t> frames, int32_t level, int32_t origin);
  void assign(const StackSet& other);

  int32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Iteration: for (size_t at = 0; at < set.end(); at = set.next(at)) ...
  size_t end() const { return used_; }
  size_t next(size_t at) const { return at + kHeader + static_cast<size_t>(data_[at]); }
  int32_t level(size_t at) const { return data_[at + 1]; }
  int32_t origin(size_t at) const { return data_[at + 2]; }
  std::span<const int32_t> frames(size_t at) const {
    return std::span<const int32_t>(data_).subspan(at + kHeader, static_cast<size_t>(data_[at]));
  }

  bool overflowed = false;

 private:
  static constexpr size_t kHeader = 3;
  std::vector<int32_t> data_;
  size_t used_ = 0;
  int32_t count_ = 0;
};

}  // namespace keel::grammar
