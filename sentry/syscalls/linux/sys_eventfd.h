// eventfd(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_eventfd(Task& t, unsigned initval);
SysResult<int> sys_eventfd2(Task& t, unsigned initval, int flags);

}  // namespace bulwark::syscalls
