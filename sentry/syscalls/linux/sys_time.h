// Clocks and sleeping: clock_gettime(2), nanosleep(2), times(2), ...
#pragma once

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_clock_gettime(Task& t, clockid_t clock, UserPtr<timespec> tp);
SysResult<void> sys_clock_getres(Task& t, clockid_t clock, UserPtr<timespec> res);
SysResult<void> sys_gettimeofday(Task& t, UserPtr<timeval> tv, UserPtr<struct timezone> tz);
SysResult<time_t> sys_time(Task& t, UserPtr<time_t> tloc);
SysResult<void> sys_nanosleep(Task& t, UserPtr<timespec> req, UserPtr<timespec> rem);
SysResult<void> sys_clock_nanosleep(Task& t, clockid_t clock, int flags, UserPtr<timespec> req,
                                    UserPtr<timespec> rem);
SysResult<int64_t> sys_times(Task& t, UserPtr<struct tms> buf);
SysResult<void> sys_getrusage(Task& t, int who, UserPtr<struct rusage> usage);

}  // namespace bulwark::syscalls
