// seccomp(2), prctl(PR_SET_SECCOMP), and the filters' effect on each system
// call (kernel/seccomp.h holds the BPF programs and their interpreter).
#pragma once

#include <linux/filter.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<uint64_t> sys_seccomp(Task& t, unsigned op, unsigned flags, UserPtr<uint8_t> uargs);

// prctl(PR_SET_SECCOMP, mode, filter).
SysResult<uint64_t> SetSeccompModeFromPrctl(Task& t, uint64_t mode, UserPtr<sock_fprog> filter);

// __secure_computing(): runs the task's filters (strict mode's list) on the
// system call in `args` before it is dispatched. Returns true if the call
// must not run: its result (ERRNO, TRACE without a tracer, TRAP) is in
// `*ret`, or the thread or process is being killed. Only called for tasks
// with a seccomp mode. Precondition: kernel lock held.
bool SeccompDenies(Task& t, const SyscallArgs& args, int64_t* ret);

}  // namespace bulwark::syscalls
