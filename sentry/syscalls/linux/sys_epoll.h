// epoll(7): epoll_create, epoll_ctl, epoll_wait and the pwait variants.
#pragma once

#include <sys/epoll.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_epoll_create(Task& t, int size);
SysResult<int> sys_epoll_create1(Task& t, int flags);
SysResult<void> sys_epoll_ctl(Task& t, int epfd, int op, int fd, UserPtr<epoll_event> event);
SysResult<int> sys_epoll_wait(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                              int timeout_ms);
SysResult<int> sys_epoll_pwait(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                               int timeout_ms, UserPtr<kernel::SigSet> sigmask,
                               size_t sigsetsize);
SysResult<int> sys_epoll_pwait2(Task& t, int epfd, UserPtr<epoll_event> events, int maxevents,
                                UserPtr<timespec> timeout, UserPtr<kernel::SigSet> sigmask,
                                size_t sigsetsize);

}  // namespace bulwark::syscalls
