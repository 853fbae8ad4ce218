// Resource limits: getrlimit(2), setrlimit(2), prlimit64(2).
#pragma once

#include <sys/resource.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_getrlimit(Task& t, unsigned resource, UserPtr<struct rlimit> rlim);
SysResult<void> sys_setrlimit(Task& t, unsigned resource, UserPtr<struct rlimit> rlim);
SysResult<void> sys_prlimit64(Task& t, pid_t pid, unsigned resource,
                              UserPtr<struct rlimit> new_rlim, UserPtr<struct rlimit> old_rlim);

}  // namespace bulwark::syscalls
