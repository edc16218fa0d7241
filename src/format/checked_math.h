// Overflow-checked size arithmetic for parsers of untrusted files.
//
// A hostile header can hold counts and lengths near 2^64; multiplying or
// adding them naively wraps around and turns a bounds check into a pass.
// These helpers return false instead of wrapping.
#pragma once

#include <cstdint>

namespace keel {

inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

// Rounds `value` up to a multiple of `alignment` (a power of two).
inline bool checked_align_up(uint64_t value, uint64_t alignment, uint64_t* out) {
  if (!checked_add(value, alignment - 1, out)) return false;
  *out &= ~(alignment - 1);
  return true;
}

}  // namespace keel
