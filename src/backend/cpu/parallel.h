// parallel_for over ThreadPool::global() without allocating.
//
// ThreadPool takes a std::function; building one from a lambda that
// captures more than a couple of references may allocate on the heap.
// Wrapping the lambda in std::cref keeps the std::function's target a
// pointer-sized reference, which std::function stores inline.
#pragma once

#include <cstdint>
#include <functional>

#include "backend/cpu/thread_pool.h"

namespace keel::cpu {

template <class Body>
void parallel_for(int64_t n, const Body& body) {
  const std::function<void(int64_t, int64_t)> job = std::cref(body);
  ThreadPool::global().parallel_for(n, job);
}

}  // namespace keel::cpu
