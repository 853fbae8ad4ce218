// signalfd(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_signalfd(Task& t, int fd, UserPtr<kernel::SigSet> mask, size_t sizemask);
SysResult<int> sys_signalfd4(Task& t, int fd, UserPtr<kernel::SigSet> mask, size_t sizemask,
                             int flags);

}  // namespace bulwark::syscalls
