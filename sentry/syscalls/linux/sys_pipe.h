// pipe(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_pipe(Task& t, UserPtr<int> fds);
SysResult<void> sys_pipe2(Task& t, UserPtr<int> fds, int flags);

}  // namespace bulwark::syscalls
