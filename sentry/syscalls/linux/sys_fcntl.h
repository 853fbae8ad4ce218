// fcntl(2), dup(2) and flock(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_dup(Task& t, GuestFd fd);
SysResult<int> sys_dup2(Task& t, GuestFd oldfd, GuestFd newfd);
SysResult<int> sys_dup3(Task& t, GuestFd oldfd, GuestFd newfd, int flags);
SysResult<int64_t> sys_fcntl(Task& t, GuestFd fd, int cmd, uint64_t arg);
SysResult<void> sys_flock(Task& t, GuestFd fd, int op);

}  // namespace bulwark::syscalls
