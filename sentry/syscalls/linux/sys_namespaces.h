// unshare(2) and setns(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_unshare(Task& t, uint64_t flags);
SysResult<void> sys_setns(Task& t, GuestFd fd, int nstype);

// The CLONE_NEW* part of unshare(2) and clone(2): EPERM without
// CAP_SYS_ADMIN; EINVAL (logged, naming `caller`) for the kinds the sandbox
// cannot create (only UTS and IPC namespaces hold state here).
SysResult<void> CheckNewNamespaces(const Task& t, uint64_t flags, const char* caller);
// Gives `t` new UTS/IPC namespaces for those bits of `flags` (after
// CheckNewNamespaces).
void EnterNewNamespaces(Task& t, uint64_t flags);

}  // namespace bulwark::syscalls
