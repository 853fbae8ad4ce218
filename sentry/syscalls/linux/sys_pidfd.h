// pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2).
#pragma once

#include <signal.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::kernel {
class PidFdFile;
}

namespace bulwark::syscalls {

SysResult<int> sys_pidfd_open(Task& t, pid_t pid, unsigned flags);
SysResult<void> sys_pidfd_send_signal(Task& t, GuestFd pidfd, int sig, UserPtr<siginfo_t> info,
                                      unsigned flags);
SysResult<int> sys_pidfd_getfd(Task& t, GuestFd pidfd, int targetfd, unsigned flags);

// The pidfd open at `fd`: EBADF if none or if `fd` is another kind of file
// (pidfd_pid()).
SysResult<std::shared_ptr<kernel::PidFdFile>> PidFdAt(Task& t, int fd);

}  // namespace bulwark::syscalls
