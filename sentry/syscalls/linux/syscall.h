// The syscall handler ABI: typed handlers and the adapter that decodes
// registers into their arguments.
//
// A handler is a free function `sys_<name>(Task&, Args...)` returning
// SysResult<T> (T integral, a pointer-sized value, or void). Args are
// integers, GuestFd, UserPtr<T> or UserCString, decoded from rdi, rsi, rdx,
// r10, r8, r9 in order. The table (table.def) names the handler.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "base/result.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/user_ptr.h"

namespace bulwark::syscalls {

using kernel::GuestFd;
using kernel::Task;
using kernel::UserCString;
using kernel::UserPtr;

struct SyscallArgs {
  uint64_t nr;
  uint64_t a[6];
};

namespace internal {

template <typename T>
struct ArgDecoder {
  static T Decode(uint64_t v) { return static_cast<T>(v); }
  static void Format(Task& t, uint64_t v, std::string& out) {
    char buf[32];
    if constexpr (std::is_signed_v<T>)
      snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(static_cast<T>(v)));
    else if constexpr (sizeof(T) <= 4)
      snprintf(buf, sizeof(buf), "%#" PRIx64, static_cast<uint64_t>(static_cast<T>(v)));
    else
      snprintf(buf, sizeof(buf), "%#" PRIx64, v);
    out += buf;
  }
};
template <>
struct ArgDecoder<GuestFd> {
  static GuestFd Decode(uint64_t v) { return GuestFd{static_cast<int>(v)}; }
  static void Format(Task& t, uint64_t v, std::string& out) {
    out += std::to_string(static_cast<int>(v));
  }
};
template <typename T>
struct ArgDecoder<UserPtr<T>> {
  static UserPtr<T> Decode(uint64_t v) { return UserPtr<T>{v}; }
  static void Format(Task& t, uint64_t v, std::string& out) {
    char buf[32];
    snprintf(buf, sizeof(buf), v ? "%#" PRIx64 : "NULL", v);
    out += buf;
  }
};
// Quotes a string from application memory (truncated like strace -s 64).
void FormatUserString(Task& t, uint64_t addr, std::string& out);
template <>
struct ArgDecoder<UserCString> {
  static UserCString Decode(uint64_t v) { return UserCString{v}; }
  static void Format(Task& t, uint64_t v, std::string& out) { FormatUserString(t, v, out); }
};

template <typename F>
struct FnTraits;
template <typename R, typename... A>
struct FnTraits<R (*)(Task&, A...)> {
  using Ret = R;
  using Args = std::tuple<A...>;
};

template <typename R>
uint64_t ToRaw(R& r) {
  if constexpr (std::is_void_v<typename R::value_type>) {
    return 0;
  } else if constexpr (std::is_pointer_v<typename R::value_type>) {
    return reinterpret_cast<uint64_t>(*r);
  } else {
    return static_cast<uint64_t>(static_cast<int64_t>(*r));
  }
}

}  // namespace internal

// Calls Fn with arguments decoded from `a`; the result as the raw return
// register value, or the errno.
template <auto Fn>
SysResult<uint64_t> Invoke(Task& t, const SyscallArgs& a) {
  using Tr = internal::FnTraits<decltype(Fn)>;
  using Args = typename Tr::Args;
  return [&]<size_t... I>(std::index_sequence<I...>) -> SysResult<uint64_t> {
    static_assert(sizeof...(I) <= 6);
    auto r = Fn(t, internal::ArgDecoder<std::tuple_element_t<I, Args>>::Decode(a.a[I])...);
    if (!r) return Err(r.error());
    return internal::ToRaw(r);
  }(std::make_index_sequence<std::tuple_size_v<Args>>{});
}

// Appends the decoded arguments, comma-separated, for --strace.
template <auto Fn>
void FormatArgs(Task& t, const SyscallArgs& a, std::string& out) {
  using Args = typename internal::FnTraits<decltype(Fn)>::Args;
  [&]<size_t... I>(std::index_sequence<I...>) {
    size_t n = 0;
    ((out += (n++ ? ", " : ""),
      internal::ArgDecoder<std::tuple_element_t<I, Args>>::Format(t, a.a[I], out)),
     ...);
  }(std::make_index_sequence<std::tuple_size_v<Args>>{});
}

enum class Support { kFull, kPartial, kErrno, kNone };

struct SyscallInfo {
  const char* name = nullptr;
  SysResult<uint64_t> (*invoke)(Task&, const SyscallArgs&) = nullptr;
  void (*format)(Task&, const SyscallArgs&, std::string&) = nullptr;
  Support support = Support::kNone;
  Errno err = Errno::kENOSYS;  // for kErrno / kNone
  const char* note = "";
};

constexpr int kMaxSyscall = 512;
// The table, generated from table.def. Entries without a name are unknown
// numbers.
const SyscallInfo& Lookup(uint64_t nr);

// Handles the syscall in t.regs() (orig_rax and arguments) and writes the
// result to rax, or leaves a restart code for signal delivery.
void Dispatch(Task& t);

}  // namespace bulwark::syscalls
