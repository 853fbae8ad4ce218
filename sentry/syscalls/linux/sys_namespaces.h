// unshare(2) and setns(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_unshare(Task& t, uint64_t flags);
SysResult<void> sys_setns(Task& t, GuestFd fd, int nstype);

}  // namespace bulwark::syscalls
