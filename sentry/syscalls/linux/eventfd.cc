#include <sys/eventfd.h>

#include "sentry/fsimpl/eventfd/eventfd.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_eventfd.h"

namespace bulwark::syscalls {

SysResult<int> sys_eventfd(Task& t, unsigned initval) { return sys_eventfd2(t, initval, 0); }

SysResult<int> sys_eventfd2(Task& t, unsigned initval, int flags) {
  if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) return Err(Errno::kEINVAL);
  TRY(CheckFdAvailable(t));
  auto file = std::make_shared<fsimpl::EventFdFile>(initval, flags & EFD_NONBLOCK,
                                                    (flags & EFD_SEMAPHORE) != 0);
  return t.fds().Install(std::move(file), (flags & EFD_CLOEXEC) != 0, FdLimit(t));
}

}  // namespace bulwark::syscalls
