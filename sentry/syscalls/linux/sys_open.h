// open(2) and close(2) family.
#pragma once

#include <linux/openat2.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_open(Task& t, UserCString path, int flags, uint32_t mode);
SysResult<int> sys_openat(Task& t, GuestFd dirfd, UserCString path, int flags, uint32_t mode);
SysResult<int> sys_openat2(Task& t, GuestFd dirfd, UserCString path, UserPtr<open_how> how,
                           size_t size);
SysResult<int> sys_creat(Task& t, UserCString path, uint32_t mode);
SysResult<void> sys_close(Task& t, GuestFd fd);
SysResult<void> sys_close_range(Task& t, unsigned first, unsigned last, unsigned flags);

}  // namespace bulwark::syscalls
