// seccomp allow-lists for bulwark's own host processes (sentry, gofer).
//
// A Policy is a table: each entry allows one host syscall, optionally only
// when its arguments match (all conditions of one entry must hold; several
// entries for the same syscall are alternatives), and says why it is needed.
// Everything not listed kills the whole process (SECCOMP_RET_KILL_PROCESS),
// so a compromised sentry or gofer cannot reach the rest of the host kernel.
// `bulwark debug filters` prints the tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace bulwark::seccomp {

// Comparison on one syscall argument (libseccomp's operators).
struct ArgCond {
  enum class Op { kEq, kNe, kMaskedEq, kLe, kGe };
  unsigned arg = 0;  // 0..5
  Op op = Op::kEq;
  uint64_t value = 0;
  uint64_t mask = 0;  // for kMaskedEq: (arg & mask) == value
};

struct Rule {
  long nr = -1;                // host syscall number (SYS_*)
  const char* name = nullptr;  // its name, for the printed table
  const char* why = "";        // what needs it
  std::vector<ArgCond> conds;  // empty: any arguments
  // Non-zero: the call fails with this errno instead of running (e.g.
  // clone3 -> ENOSYS, so that glibc falls back to clone, whose flags a
  // filter can see). Not counted as an allowed syscall.
  int fail_errno = 0;
};

struct Policy {
  const char* process = "";  // "sentry", "gofer"
  std::vector<Rule> rules;
};

enum class Mode {
  kEnforce,  // unlisted syscalls kill the process
  kLog,      // unlisted syscalls are allowed and logged by the host kernel
             // (dmesg "audit: type=1326 ... syscall=N"); for finding gaps
  kOff,      // no filter (development only; says so in the log)
};

// A rule allowing syscall SYS_<name>: SECCOMP_RULE(read, "why", {conds}).
#define SECCOMP_RULE(name, ...) ::bulwark::seccomp::Rule{SYS_##name, #name, __VA_ARGS__}

// Parses "enforce", "log", "off".
Result<Mode> ParseMode(const std::string& s);
const char* ModeName(Mode m);

// Installs the filter on the calling thread and, with TSYNC, every other
// thread of the process. Needs no_new_privs (or CAP_SYS_ADMIN) already set.
// The error names the rule libseccomp refused.
Result<void> Install(const Policy& policy, Mode mode);

// Human-readable table: one line per rule, "name(args) — why".
std::string Format(const Policy& policy);

// The number of distinct host syscalls a policy allows (rules with
// fail_errno excluded).
size_t DistinctSyscalls(const Policy& policy);

}  // namespace bulwark::seccomp
