// ioctl(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<uint64_t> sys_ioctl(Task& t, GuestFd fd, uint32_t cmd, uint64_t arg);

}  // namespace bulwark::syscalls
