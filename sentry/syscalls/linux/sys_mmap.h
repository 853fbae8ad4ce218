#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<uint64_t> sys_mmap(Task& t, uint64_t addr, uint64_t len, int prot, int flags,
                             GuestFd fd, uint64_t offset);
SysResult<void> sys_munmap(Task& t, uint64_t addr, uint64_t len);
SysResult<void> sys_mprotect(Task& t, uint64_t addr, uint64_t len, int prot);
SysResult<uint64_t> sys_mremap(Task& t, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
                               int flags, uint64_t new_addr);
SysResult<uint64_t> sys_brk(Task& t, uint64_t addr);
SysResult<void> sys_madvise(Task& t, uint64_t addr, uint64_t len, int advice);
SysResult<void> sys_msync(Task& t, uint64_t addr, uint64_t len, int flags);
SysResult<void> sys_mincore(Task& t, uint64_t addr, uint64_t len, UserPtr<uint8_t> vec);
SysResult<void> sys_mlock(Task& t, uint64_t addr, uint64_t len);
SysResult<void> sys_mlock2(Task& t, uint64_t addr, uint64_t len, unsigned flags);
SysResult<void> sys_munlock(Task& t, uint64_t addr, uint64_t len);
SysResult<void> sys_mlockall(Task& t, int flags);
SysResult<void> sys_munlockall(Task& t);

}  // namespace bulwark::syscalls
