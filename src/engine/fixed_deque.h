// FixedDeque<T>: a double-ended queue in a ring of fixed capacity, for the
// engine's waiting queue. Pushing never allocates; the capacity is a hard
// bound the caller keeps (KEEL_CHECK).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "core/check.h"

namespace keel {

template <class T>
class FixedDeque {
 public:
  explicit FixedDeque(size_t capacity) : ring_(capacity) { KEEL_CHECK(capacity > 0, "empty deque"); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return ring_.size(); }

  T& operator[](size_t i) { return ring_[(head_ + i) % ring_.size()]; }
  T& front() { return (*this)[0]; }

  void push_back(T value) {
    KEEL_CHECK(size_ < ring_.size(), "fixed deque full");
    (*this)[size_] = std::move(value);
    ++size_;
  }
  void push_front(T value) {
    KEEL_CHECK(size_ < ring_.size(), "fixed deque full");
    head_ = (head_ + ring_.size() - 1) % ring_.size();
    ring_[head_] = std::move(value);
    ++size_;
  }
  T pop_front() {
    KEEL_CHECK(size_ > 0, "pop from an empty deque");
    T value = std::move(ring_[head_]);
    ring_[head_] = T{};
    head_ = (head_ + 1) % ring_.size();
    --size_;
    return value;
  }
  // Removes every element for which `drop(element)` is true, keeping order;
  // `drop` may consume the element (it is removed either way).
  template <class Drop>
  void remove_if(Drop drop) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      T& element = (*this)[i];
      if (drop(element)) continue;
      if (kept != i) (*this)[kept] = std::move(element);
      ++kept;
    }
    for (size_t i = kept; i < size_; ++i) (*this)[i] = T{};
    size_ = kept;
  }

 private:
  std::vector<T> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace keel
