// POSIX per-process timers: timer_create(2) and friends.
#pragma once

#include <signal.h>
#include <time.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_timer_create(Task& t, clockid_t clockid, UserPtr<sigevent> sevp,
                                 UserPtr<int> timerid);
SysResult<void> sys_timer_settime(Task& t, int timerid, int flags, UserPtr<itimerspec> new_value,
                                  UserPtr<itimerspec> old_value);
SysResult<void> sys_timer_gettime(Task& t, int timerid, UserPtr<itimerspec> curr_value);
SysResult<int> sys_timer_getoverrun(Task& t, int timerid);
SysResult<void> sys_timer_delete(Task& t, int timerid);

}  // namespace bulwark::syscalls
