// Result types.
//
// SysResult<T>: sentry, gofer and platform code. Never allocates; the error
// is an Errno. Result<T>: runtime and OCI code, where errors carry context
// ("mount /proc: EPERM") for the user.
#pragma once

#include <expected>
#include <string>
#include <utility>

#include "base/errno.h"

namespace bulwark {

template <typename T>
using SysResult = std::expected<T, Errno>;

inline std::unexpected<Errno> Err(Errno e) { return std::unexpected<Errno>(e); }

// Error with context for the runtime and config code.
struct Error {
  int errnum = 0;       // host errno, 0 when not from a host call
  std::string message;  // complete, user-facing: what failed and why
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> MakeError(std::string message, int errnum = 0) {
  return std::unexpected<Error>(Error{errnum, std::move(message)});
}
// "what: strerror(errno)", capturing the current errno.
std::unexpected<Error> HostError(const std::string& what);

}  // namespace bulwark

// TRY(expr): evaluates a SysResult/Result; returns its error from the
// enclosing function, or yields its value (GCC statement expression).
#define TRY(expr)                                         \
  ({                                                      \
    auto&& try_result_ = (expr);                          \
    if (!try_result_) [[unlikely]]                        \
      return std::unexpected(std::move(try_result_).error()); \
    std::move(try_result_).operator*();                   \
  })
