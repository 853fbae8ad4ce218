// Seccomp filters of the ptrace platform (issue 7, "stub confinement").
//
// 1. The stub filter, installed by every stub process on itself before it
//    jumps to the stub page (StubChild in stub.cc): a host syscall is
//    allowed only when it is made by one of the stub page's own `syscall`
//    instructions (seccomp_data.instruction_pointer is the address after
//    that instruction) and is the call that instruction exists for, with
//    its arguments checked where they are fixed. Everything else kills the
//    stub process. Application syscalls never reach it: they run under
//    PTRACE_SYSEMU, and the kernel reports the syscall-entry stop and then
//    skips the call before seccomp runs (syscall_trace_enter() in
//    kernel/entry/common.c returns early for SYSCALL_WORK_SYSCALL_EMU). So
//    only code that escaped SYSEMU, or jumped into the stub page, meets it.
//    libseccomp cannot match the instruction pointer: raw BPF.
// 2. The exec-mapping filter, installed once for the whole sentry (TSYNC)
//    when the stub factory starts, so every stub inherits it too: mmap and
//    mprotect with PROT_EXEC only from the stub page's injection point. The
//    sentry's libseccomp table (sentry/seccomp_policy.cc) must allow
//    executable mappings for the stubs; this restores "never executable"
//    for the sentry's own code.
//
// Mode: BULWARK_SECCOMP=enforce|log|off (set by the sentry's BootMain;
// unset: the stub filter is enforced and the exec-mapping filter, which
// belongs to the sentry, is not installed, as in unit tests).
#pragma once

#include <linux/filter.h>
#include <sched.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/seccomp.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl {

// The flags of the injected clone that spawns a stub thread (CloneRegs):
// same memory, fds, handlers (all SIG_IGN); no tid pointers, no TLS.
inline constexpr uint64_t kStubThreadCloneFlags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;

struct BpfProgram {
  std::vector<sock_filter> insns;
  // The instruction whose k is the stub's own pid (for kill(getpid(),
  // SIGSTOP)); the stub patches it in its copy after the fork.
  size_t pid_insn = 0;
};

// The mode from BULWARK_SECCOMP; `set` tells whether it was set at all.
seccomp::Mode PtraceSeccompMode(bool* set = nullptr);

// The stub filter for stubs of `page` (its pid slot still 0).
BpfProgram StubFilter(const StubPage& page, seccomp::Mode mode);

// The exec-mapping filter for a process whose stub page is `page`.
BpfProgram ExecMappingFilter(const StubPage& page, seccomp::Mode mode);

// Installs ExecMappingFilter on every thread of the calling process
// (SECCOMP_FILTER_FLAG_TSYNC) unless the mode is off or unset.
Result<void> InstallExecMappingFilter(const StubPage& page);

// Human-readable description of both filters, with the stub page's offsets
// (for `bulwark debug filters`).
std::string DescribeFilters();

// The number of distinct host syscalls the stub filter allows.
size_t StubFilterSyscalls();

}  // namespace bulwark::platform::ptrace_impl

// For `bulwark debug filters` in runtime/ (the platform objects are linked
// only into the binary, not into the runtime's tests): a weak reference
// that is null where the ptrace platform is not linked.
[[gnu::weak]] std::string BulwarkDescribePtraceFilters();
