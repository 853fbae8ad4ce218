#include <sys/signalfd.h>

#include "sentry/fsimpl/signalfd/signalfd.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_signalfd.h"

namespace bulwark::syscalls {

SysResult<int> sys_signalfd(Task& t, int fd, UserPtr<kernel::SigSet> mask, size_t sizemask) {
  return sys_signalfd4(t, fd, mask, sizemask, 0);
}

SysResult<int> sys_signalfd4(Task& t, int fd, UserPtr<kernel::SigSet> umask, size_t sizemask,
                             int flags) {
  if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) return Err(Errno::kEINVAL);
  if (sizemask != sizeof(kernel::SigSet)) return Err(Errno::kEINVAL);
  kernel::SigSet mask = TRY(t.CopyIn(umask));
  if (fd == -1) {
    TRY(CheckFdAvailable(t));
    auto file = std::make_shared<fsimpl::SignalFdFile>(t.tg_ptr(), mask, flags & SFD_NONBLOCK);
    return t.fds().Install(std::move(file), (flags & SFD_CLOEXEC) != 0, FdLimit(t));
  }
  auto file = TRY(GetFile(t, fd));
  auto* sf = dynamic_cast<fsimpl::SignalFdFile*>(file.get());
  if (sf == nullptr) return Err(Errno::kEINVAL);
  sf->set_mask(mask);
  t.tg().signalfd_waiters.Notify();
  return fd;
}

}  // namespace bulwark::syscalls
