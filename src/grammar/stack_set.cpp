#include "grammar/stack_set.h"

#include <algorithm>

namespace keel::grammar {

void StackSet::add(std::span<const int32_t> frames, int32_t level, int32_t origin) {
  for (size_t at = 0; at < used_; at = next(at))
    if (data_[at + 1] == level && data_[at + 2] == origin && std::ranges::equal(this->frames(at), frames)) return;
  if (used_ + kHeader + frames.size() > data_.size()) {
    overflowed = true;
    return;
  }
  data_[used_] = static_cast<int32_t>(frames.size());
  data_[used_ + 1] = level;
  data_[used_ + 2] = origin;
  std::copy(frames.begin(), frames.end(), data_.begin() + static_cast<std::ptrdiff_t>(used_ + kHeader));
  used_ += kHeader + frames.size();
  ++count_;
}

void StackSet::assign(const StackSet& other) {
  // `other` holds no duplicates: copy its stacks as they lie, as many as fit.
  clear();
  size_t end = 0;
  for (size_t at = 0; at < other.used_ && other.next(at) <= data_.size(); at = other.next(at)) {
    end = other.next(at);
    ++count_;
  }
  std::copy(other.data_.begin(), other.data_.begin() + static_cast<std::ptrdiff_t>(end), data_.begin());
  used_ = end;
  overflowed = other.overflowed || end < other.used_;
}

}  // namespace keel::grammar
