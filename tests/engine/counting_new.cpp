// Replaces the global operator new of the engine test binary so that
// allocations inside the engine's step loop are counted
// (allocation_probe::CountedRegion marks the loop on the engine thread).
//
// Not under ThreadSanitizer, which owns operator new itself (a
// replacement crashes before main); the allocation tests skip there.
#include <cstdlib>
#include <new>

#include "engine/allocation_probe.h"

#if !defined(__SANITIZE_THREAD__)

void* operator new(std::size_t size) {
  keel::allocation_probe::on_allocation();
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  keel::allocation_probe::on_allocation();
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#endif  // !__SANITIZE_THREAD__
