// The initial stack of a new program: argument and environment strings,
// argc/argv/envp and the auxiliary vector, laid out as Linux's
// copy_strings() and create_elf_tables() do.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::loader {

// Linux's MAX_ARG_STRLEN: one string, including its NUL.
constexpr size_t kMaxArgStrlen = 32 * 4096;
// Linux's ARG_MAX floor of the argument space, and _STK_LIM.
constexpr uint64_t kArgMax = 32 * 4096;
constexpr uint64_t kDefaultStackLimit = 8 << 20;

// E2BIG if argv, envp and the exec file name (AT_EXECFN) would not fit in
// the argument space of a stack with rlimit `stack_limit` (bprm_stack_limits:
// max(ARG_MAX, min(stack_limit / 4, 3/4 of _STK_LIM))), or if any string
// exceeds kMaxArgStrlen.
SysResult<void> CheckArgLimits(const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp,
                               const std::string& execfn, uint64_t stack_limit);

// Copies a NULL-terminated array of string pointers at `addr` (execve's argv
// or envp; addr 0 is an empty array). EFAULT on a bad pointer, E2BIG past
// kMaxArgStrlen per string or `max_total` bytes (strings plus pointers)
// over all.
SysResult<std::vector<std::string>> CopyInStringArray(kernel::Task& t, uint64_t addr,
                                                      uint64_t max_total);

struct StackInputs {
  std::vector<std::string> argv, envp;
  std::string execfn;
  std::array<uint8_t, 16> random{};  // AT_RANDOM bytes
  // Auxiliary vector entries in order, without AT_NULL (appended). The
  // values of AT_RANDOM, AT_EXECFN and AT_PLATFORM are filled in with the
  // addresses of the strings BuildStack places.
  std::vector<std::pair<uint64_t, uint64_t>> auxv;
};

// The top of the initial stack: bytes for [base, top).
struct StackImage {
  uint64_t base = 0;
  std::vector<uint8_t> bytes;
  uint64_t rsp = 0;  // &argc; 16-byte aligned
  uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
  std::vector<uint64_t> auxv;  // the pairs as written, AT_NULL included
};

// Lays out the stack below `top` (page-aligned). From the top down: 8 zero
// bytes, the AT_EXECFN string, the environment strings, the argument
// strings, then (16-byte aligned) "x86_64", the 16 random bytes, and at rsp
// argc, argv[], NULL, envp[], NULL, auxv.
StackImage BuildStack(const StackInputs& in, uint64_t top);

}  // namespace bulwark::loader
