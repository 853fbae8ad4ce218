#include <fcntl.h>

#include "sentry/fsimpl/pipe.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_pipe.h"

namespace bulwark::syscalls {

SysResult<void> sys_pipe(Task& t, UserPtr<int> fds) { return sys_pipe2(t, fds, 0); }

// O_NOTIFICATION_PIPE (watch_queue(7)) is EINVAL, as on kernels built
// without CONFIG_WATCH_QUEUE.
SysResult<void> sys_pipe2(Task& t, UserPtr<int> fds, int flags) {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) return Err(Errno::kEINVAL);
  auto [r, w] = fsimpl::NewPipe(t.creds(), flags);
  bool cloexec = flags & O_CLOEXEC;
  int rfd = TRY(t.fds().Install(std::move(r), cloexec, FdLimit(t)));
  auto wfd = t.fds().Install(std::move(w), cloexec, FdLimit(t));
  if (!wfd) {
    (void)t.fds().Remove(rfd);
    return Err(wfd.error());
  }
  int out[2] = {rfd, *wfd};
  if (auto c = t.CopyOutBytes(fds.addr, out, sizeof(out)); !c) {
    // Nothing was visible to the application yet.
    (void)t.fds().Remove(rfd);
    (void)t.fds().Remove(*wfd);
    return Err(c.error());
  }
  return {};
}

}  // namespace bulwark::syscalls
