// 64-bit integer arithmetic for the Jinja interpreter that reports overflow
// instead of committing it. Python integers never overflow; keel's are
// int64_t, and in C++ a signed overflow (INT64_MAX + 1, -INT64_MIN,
// INT64_MIN / -1) is undefined behaviour, so a template must not be able to
// reach one. Each function returns nullopt where the exact result does not
// fit; callers turn that into an Error.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>

namespace keel::jinja {

inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

inline std::optional<int64_t> checked_subtract(int64_t a, int64_t b) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return std::nullopt;
  return difference;
}

inline std::optional<int64_t> checked_multiply(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

inline std::optional<int64_t> checked_negate(int64_t a) { return checked_subtract(0, a); }

// Python's a // b: the quotient rounded toward negative infinity. nullopt
// for b == 0 and for INT64_MIN // -1, whose result is INT64_MAX + 1.
inline std::optional<int64_t> floor_divide(int64_t a, int64_t b) {
  if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1)) return std::nullopt;
  int64_t quotient = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) --quotient;
  return quotient;
}

// Python's a % b: the remainder takes the sign of b. nullopt for b == 0.
// INT64_MIN % -1 is 0, but the C++ expression traps, so it is answered here.
inline std::optional<int64_t> floor_modulo(int64_t a, int64_t b) {
  if (b == 0) return std::nullopt;
  if (b == -1) return 0;
  int64_t remainder = a % b;
  if (remainder != 0 && (remainder < 0) != (b < 0)) remainder += b;
  return remainder;
}

// Python's int(x) for a float: truncation toward zero. nullopt for NaN,
// infinities and values outside int64_t, which C++ may not convert.
inline std::optional<int64_t> truncate_to_int64(double value) {
  // 2^63 is exactly representable; every double below it in magnitude,
  // truncated, fits in int64_t.
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (!(std::fabs(value) < kTwoTo63)) {  // also false for NaN
    if (value == -kTwoTo63) return std::numeric_limits<int64_t>::min();
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

}  // namespace keel::jinja
