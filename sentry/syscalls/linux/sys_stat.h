// stat(2), statx(2) and statfs(2) families.
#pragma once

#include <sys/stat.h>
#include <sys/statfs.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_stat(Task& t, UserCString path, UserPtr<struct stat> buf);
SysResult<void> sys_lstat(Task& t, UserCString path, UserPtr<struct stat> buf);
SysResult<void> sys_fstat(Task& t, GuestFd fd, UserPtr<struct stat> buf);
SysResult<void> sys_newfstatat(Task& t, GuestFd dirfd, UserCString path,
                               UserPtr<struct stat> buf, int flags);
SysResult<void> sys_statx(Task& t, GuestFd dirfd, UserCString path, int flags, unsigned mask,
                          UserPtr<struct statx> buf);
SysResult<void> sys_statfs(Task& t, UserCString path, UserPtr<struct statfs> buf);
SysResult<void> sys_fstatfs(Task& t, GuestFd fd, UserPtr<struct statfs> buf);

}  // namespace bulwark::syscalls
