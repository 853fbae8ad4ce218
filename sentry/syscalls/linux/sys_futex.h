// futex(2) and restart_syscall(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<long> sys_futex(Task& t, uint64_t uaddr, int op, uint32_t val, uint64_t utime,
                          uint64_t uaddr2, uint32_t val3);
SysResult<uint64_t> sys_restart_syscall(Task& t);

}  // namespace bulwark::syscalls
