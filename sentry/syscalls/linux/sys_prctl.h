// Process and thread attributes: prctl(2), arch_prctl(2), personality(2).
#pragma once

#include <sys/prctl.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_prctl(Task& t, int option, uint64_t arg2, uint64_t arg3, uint64_t arg4,
                         uint64_t arg5);
SysResult<int> sys_arch_prctl(Task& t, int code, uint64_t addr);
SysResult<uint64_t> sys_personality(Task& t, uint32_t persona);

}  // namespace bulwark::syscalls
