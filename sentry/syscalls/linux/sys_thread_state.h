// Per-thread user addresses the kernel keeps: set_tid_address(2),
// set_robust_list(2), get_robust_list(2).
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<pid_t> sys_set_tid_address(Task& t, uint64_t tidptr);
SysResult<void> sys_set_robust_list(Task& t, uint64_t head, size_t len);
SysResult<void> sys_get_robust_list(Task& t, pid_t pid, UserPtr<uint64_t> head_ptr,
                                    UserPtr<size_t> len_ptr);

}  // namespace bulwark::syscalls
