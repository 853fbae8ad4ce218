// Helpers of the waiting syscalls with a temporary signal mask (ppoll,
// pselect6, epoll_pwait): the mask swap and its restoration.
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

// Installs the temporary signal mask `umask` (nothing if null); EINVAL
// unless `size` is the kernel's sigset size.
inline SysResult<void> SwapSigmask(Task& t, UserPtr<kernel::SigSet> umask, size_t size) {
  if (umask.null()) return {};
  if (size != sizeof(kernel::SigSet)) return Err(Errno::kEINVAL);
  kernel::SigSet m = TRY(t.CopyIn(umask));
  t.saved_sigmask = t.sigmask;
  t.restore_saved_sigmask = true;
  t.sigmask = m & ~kernel::kUnblockable;
  return {};
}

// restore_saved_sigmask_unless(): a call interrupted with `interrupted`
// keeps the temporary mask until the signal handler's frame is set up.
template <typename T>
SysResult<T> RestoreSigmask(Task& t, bool swapped, SysResult<T> r, Errno interrupted) {
  if (swapped && !(!r && r.error() == interrupted)) {
    t.sigmask = t.saved_sigmask;
    t.restore_saved_sigmask = false;
  }
  return r;
}

}  // namespace bulwark::syscalls
