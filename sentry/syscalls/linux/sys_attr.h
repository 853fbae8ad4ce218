// File attributes: chmod, chown, utimes, truncate, umask, access.
#pragma once

#include <sys/time.h>
#include <utime.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_chmod(Task& t, UserCString path, uint32_t mode);
SysResult<void> sys_fchmod(Task& t, GuestFd fd, uint32_t mode);
SysResult<void> sys_fchmodat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode);
SysResult<void> sys_chown(Task& t, UserCString path, uint32_t uid, uint32_t gid);
SysResult<void> sys_fchown(Task& t, GuestFd fd, uint32_t uid, uint32_t gid);
SysResult<void> sys_lchown(Task& t, UserCString path, uint32_t uid, uint32_t gid);
SysResult<void> sys_fchownat(Task& t, GuestFd dirfd, UserCString path, uint32_t uid,
                             uint32_t gid, int flags);
SysResult<void> sys_utime(Task& t, UserCString path, UserPtr<struct utimbuf> times);
SysResult<void> sys_utimes(Task& t, UserCString path, UserPtr<timeval> times);
SysResult<void> sys_futimesat(Task& t, GuestFd dirfd, UserCString path, UserPtr<timeval> times);
SysResult<void> sys_utimensat(Task& t, GuestFd dirfd, UserCString path, UserPtr<timespec> times,
                              int flags);
SysResult<void> sys_truncate(Task& t, UserCString path, int64_t length);
SysResult<void> sys_ftruncate(Task& t, GuestFd fd, int64_t length);
SysResult<uint32_t> sys_umask(Task& t, uint32_t mask);
SysResult<void> sys_access(Task& t, UserCString path, int mode);
SysResult<void> sys_faccessat(Task& t, GuestFd dirfd, UserCString path, int mode);
SysResult<void> sys_faccessat2(Task& t, GuestFd dirfd, UserCString path, int mode, int flags);

}  // namespace bulwark::syscalls
