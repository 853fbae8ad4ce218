// poll(2) and select(2) families.
#pragma once

#include <poll.h>
#include <sys/select.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_poll(Task& t, UserPtr<pollfd> fds, uint64_t nfds, int timeout_ms);
SysResult<int> sys_ppoll(Task& t, UserPtr<pollfd> fds, uint64_t nfds, UserPtr<timespec> tsp,
                         UserPtr<kernel::SigSet> sigmask, size_t sigsetsize);
SysResult<int> sys_select(Task& t, int nfds, UserPtr<fd_set> readfds, UserPtr<fd_set> writefds,
                          UserPtr<fd_set> exceptfds, UserPtr<timeval> timeout);
// `sig` points at { const sigset_t* ss; size_t ss_len; }.
SysResult<int> sys_pselect6(Task& t, int nfds, UserPtr<fd_set> readfds,
                            UserPtr<fd_set> writefds, UserPtr<fd_set> exceptfds,
                            UserPtr<timespec> timeout, UserPtr<uint64_t> sig);

}  // namespace bulwark::syscalls
