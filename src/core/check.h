// KEEL_CHECK: invariants of the program itself. A failed check is a bug in
// keel, never a reaction to bad input: it prints file, line, condition and a
// message, then aborts.
#pragma once

#include <string>
#include <string_view>

namespace keel::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition, std::string_view message);
}  // namespace keel::detail

#define KEEL_CHECK(condition, ...)                                                      \
  do {                                                                                  \
    if (!(condition)) [[unlikely]]                                                      \
      ::keel::detail::check_failed(__FILE__, __LINE__, #condition, std::string(__VA_ARGS__)); \
  } while (0)
