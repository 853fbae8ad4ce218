// Signal-driven I/O (fcntl(2): F_SETOWN, F_SETOWN_EX, F_SETSIG, O_ASYNC)
// and directory notification (F_NOTIFY, dnotify).
#pragma once

#include "sentry/syscalls/linux/syscall.h"
#include "sentry/vfs/file.h"

namespace bulwark::syscalls {

// F_GETOWN, F_SETOWN, F_GETOWN_EX, F_SETOWN_EX, F_GETSIG, F_SETSIG.
SysResult<int64_t> FcntlOwner(Task& t, vfs::FileDescription& f, int cmd, uint64_t arg);

// After O_ASYNC changed on `f` (installed at `fd`): starts or stops sending
// its owner SIGIO when it becomes readable or writable. Files without a
// readiness queue keep the flag and never signal, as Linux files without
// a fasync operation.
void UpdateAsync(Task& t, vfs::FileDescription& f, int fd);

// send_sigio(): tells `f`'s owner about `fd` with si_code `reason`
// (POLL_IN, POLL_OUT, POLL_MSG ...): SIGIO, or the F_SETSIG signal with
// si_fd and si_band. Precondition: kernel lock held.
void SendSigio(kernel::Kernel& k, const vfs::FileOwner& owner, int fd, int reason);

// F_NOTIFY on the directory description `f` installed at `fd`.
SysResult<int64_t> FcntlNotify(Task& t, vfs::FileDescription& f, int fd, uint64_t arg);

}  // namespace bulwark::syscalls
