// inotify(7): inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch.
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_inotify_init(Task& t);
SysResult<int> sys_inotify_init1(Task& t, int flags);
SysResult<int> sys_inotify_add_watch(Task& t, GuestFd fd, UserCString path, uint32_t mask);
SysResult<void> sys_inotify_rm_watch(Task& t, GuestFd fd, int wd);

}  // namespace bulwark::syscalls
