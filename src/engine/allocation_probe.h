// allocation_probe: counts heap allocations made inside the step loop.
//
// The engine marks its step with a CountedRegion on its own thread. A
// binary that wants the count replaces the global operator new and calls
// allocation_probe::on_allocation() from it (the test binaries do; see
// tests/engine/counting_new.cpp). The count is exported as
// EngineStats::step_loop_allocations.
#pragma once

#include <cstdint>

namespace keel::allocation_probe {

// Called from a replaced operator new; counts only inside a CountedRegion
// on the calling thread. Never allocates, never throws.
void on_allocation() noexcept;
// Allocations counted so far, all threads.
uint64_t count() noexcept;

class CountedRegion {
 public:
  CountedRegion() noexcept;
  ~CountedRegion();
  CountedRegion(const CountedRegion&) = delete;
  CountedRegion& operator=(const CountedRegion&) = delete;

 private:
  bool was_counting_;
};

}  // namespace keel::allocation_probe
