// Result<T>: a value or an Error, for failures the caller must handle
// (bad input, missing files). Programmer errors use KEEL_CHECK instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/check.h"

namespace keel {

// A user-facing failure: the message names what was wrong and where.
struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { KEEL_CHECK(ok(), error_message()); return std::get<T>(state_); }
  const T& value() const& { KEEL_CHECK(ok(), error_message()); return std::get<T>(state_); }
  T&& value() && { KEEL_CHECK(ok(), error_message()); return std::get<T>(std::move(state_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::string error_message() const { return ok() ? std::string() : std::get<Error>(state_).message; }
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace keel

// KEEL_TRY(expr): evaluate a Result<void>; on failure return its Error.
#define KEEL_TRY(expr)                                  \
  do {                                                  \
    auto keel_try_result_ = (expr);                     \
    if (!keel_try_result_.ok()) return keel_try_result_.error(); \
  } while (0)

#define KEEL_CONCAT_INNER_(a, b) a##b
#define KEEL_CONCAT_(a, b) KEEL_CONCAT_INNER_(a, b)

// KEEL_ASSIGN_OR_RETURN(lhs, expr): lhs = value of a Result<T>, or return its Error.
#define KEEL_ASSIGN_OR_RETURN(lhs, expr) \
  KEEL_ASSIGN_OR_RETURN_IMPL_(KEEL_CONCAT_(keel_result_, __LINE__), lhs, expr)
#define KEEL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.error();                \
  lhs = std::move(tmp).value()
