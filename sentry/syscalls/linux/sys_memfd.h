// memfd_create(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_memfd_create(Task& t, UserCString name, unsigned flags);

}  // namespace bulwark::syscalls
