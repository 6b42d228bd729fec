#pragma once

#include <string>
#include <utility>
#include <variant>

namespace instamarket {

// What went wrong, with what the caller should do about it (after abseil's status codes).
enum class ErrorCode {
  kInvalidArgument,     // the caller's input is wrong; retrying the same input fails again
  kNotFound,            // the named thing does not exist (or is not the caller's)
  kAlreadyExists,       // a unique thing was created before
  kFailedPrecondition,  // the system is not in a state that allows it (e.g. balance too low)
  kUnauthenticated,     // credentials are missing or wrong
  kPermissionDenied,    // credentials are fine but not allowed here
  kResourceExhausted,   // a limit was hit; retry later
  kUnavailable,         // a dependency (database, RPC node) is down; retry with backoff
  kInternal,            // a bug
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

// A value or an Error. Small on purpose: the project needs no more than this.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status OkStatus() { return Unit{}; }

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace instamarket
