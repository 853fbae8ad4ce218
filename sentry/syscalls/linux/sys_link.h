// Names: unlink, rename, link, symlink, readlink.
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_unlink(Task& t, UserCString path);
SysResult<void> sys_unlinkat(Task& t, GuestFd dirfd, UserCString path, int flags);
SysResult<void> sys_rename(Task& t, UserCString oldpath, UserCString newpath);
SysResult<void> sys_renameat(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                             UserCString newpath);
SysResult<void> sys_renameat2(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                              UserCString newpath, unsigned flags);
SysResult<void> sys_link(Task& t, UserCString oldpath, UserCString newpath);
SysResult<void> sys_linkat(Task& t, GuestFd olddirfd, UserCString oldpath, GuestFd newdirfd,
                           UserCString newpath, int flags);
SysResult<void> sys_symlink(Task& t, UserCString target, UserCString linkpath);
SysResult<void> sys_symlinkat(Task& t, UserCString target, GuestFd newdirfd,
                              UserCString linkpath);
SysResult<size_t> sys_readlink(Task& t, UserCString path, UserPtr<char> buf, int bufsiz);
SysResult<size_t> sys_readlinkat(Task& t, GuestFd dirfd, UserCString path, UserPtr<char> buf,
                                 int bufsiz);

}  // namespace bulwark::syscalls
