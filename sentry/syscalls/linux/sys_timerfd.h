// timerfd_create(2), timerfd_settime, timerfd_gettime.
#pragma once

#include <time.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_timerfd_create(Task& t, int clockid, int flags);
SysResult<void> sys_timerfd_settime(Task& t, int fd, int flags, UserPtr<itimerspec> new_value,
                                    UserPtr<itimerspec> old_value);
SysResult<void> sys_timerfd_gettime(Task& t, int fd, UserPtr<itimerspec> curr_value);

}  // namespace bulwark::syscalls
