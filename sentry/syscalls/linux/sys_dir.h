// Directories: mkdir, rmdir, mknod, getdents, getcwd, chdir, chroot.
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_mkdir(Task& t, UserCString path, uint32_t mode);
SysResult<void> sys_mkdirat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode);
SysResult<void> sys_rmdir(Task& t, UserCString path);
SysResult<void> sys_mknod(Task& t, UserCString path, uint32_t mode, uint32_t dev);
SysResult<void> sys_mknodat(Task& t, GuestFd dirfd, UserCString path, uint32_t mode,
                            uint32_t dev);
SysResult<size_t> sys_getdents(Task& t, GuestFd fd, UserPtr<uint8_t> dirp, unsigned count);
SysResult<size_t> sys_getdents64(Task& t, GuestFd fd, UserPtr<uint8_t> dirp, unsigned count);
SysResult<size_t> sys_getcwd(Task& t, UserPtr<char> buf, size_t size);
SysResult<void> sys_chdir(Task& t, UserCString path);
SysResult<void> sys_fchdir(Task& t, GuestFd fd);
SysResult<void> sys_chroot(Task& t, UserCString path);

}  // namespace bulwark::syscalls
