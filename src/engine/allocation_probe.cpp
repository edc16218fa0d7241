#include "engine/allocation_probe.h"

#include <atomic>

namespace keel::allocation_probe {
namespace {

thread_local bool counting = false;
std::atomic<uint64_t> allocations{0};

}  // namespace

void on_allocation() noexcept {
  if (counting) allocations.fetch_add(1, std::memory_order_relaxed);
}

uint64_t count() noexcept { return allocations.load(std::memory_order_relaxed); }

CountedRegion::CountedRegion() noexcept : was_counting_(counting) { counting = true; }
CountedRegion::~CountedRegion() { counting = was_counting_; }

}  // namespace keel::allocation_probe
