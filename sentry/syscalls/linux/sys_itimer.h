// Interval timers: setitimer(2), getitimer(2), alarm(2).
#pragma once

#include <sys/time.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_getitimer(Task& t, int which, UserPtr<itimerval> curr_value);
SysResult<void> sys_setitimer(Task& t, int which, UserPtr<itimerval> new_value,
                              UserPtr<itimerval> old_value);
SysResult<unsigned> sys_alarm(Task& t, unsigned seconds);

}  // namespace bulwark::syscalls
