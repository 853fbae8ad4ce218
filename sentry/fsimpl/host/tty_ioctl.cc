#include "sentry/fsimpl/host/tty_ioctl.h"

#include <sys/ioctl.h>

#include <cstring>

#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::fsimpl::host {

namespace {

using kernel::UserPtr;

template <typename T>
SysResult<uint64_t> HostGet(kernel::Task& t, int fd, uint32_t cmd, uint64_t arg) {
  T v{};
  if (ioctl(fd, cmd, &v) < 0) return Err(HostErrno());
  TRY(t.CopyOut(UserPtr<T>{arg}, v));
  return 0;
}

// `drains`: TCSETSW/TCSETSF wait for output to drain, without the kernel
// lock.
template <typename T>
SysResult<uint64_t> HostSet(kernel::Task& t, int fd, uint32_t cmd, uint64_t arg, bool drains) {
  T v = TRY(t.CopyIn(UserPtr<T>{arg}));
  int err = 0;
  auto call = [&] {
    int r;
    do r = ioctl(fd, cmd, &v);
    while (r < 0 && errno == EINTR);
    return r < 0 ? errno : 0;
  };
  err = drains ? t.Unlocked(call) : call();
  if (err) return Err(FromInt(err));
  return 0;
}

}  // namespace

SysResult<uint64_t> HostIoctl(kernel::Task& t, HostFd& fd, uint32_t cmd, uint64_t arg) {
  switch (cmd) {
    case TCGETS: return HostGet<KernelTermios>(t, fd.fd(), cmd, arg);
    case TCSETS: return HostSet<KernelTermios>(t, fd.fd(), cmd, arg, false);
    case TCSETSW:
    case TCSETSF: return HostSet<KernelTermios>(t, fd.fd(), cmd, arg, true);
    case TIOCGWINSZ: return HostGet<winsize>(t, fd.fd(), cmd, arg);
    case TIOCSWINSZ: {
      if (!fd.tty()) return Err(Errno::kENOTTY);
      winsize old{};
      bool had = ioctl(fd.fd(), TIOCGWINSZ, &old) == 0;
      winsize v = TRY(t.CopyIn(UserPtr<winsize>{arg}));
      if (ioctl(fd.fd(), TIOCSWINSZ, &v) < 0) return Err(HostErrno());
      // tty_do_resize: SIGWINCH to the foreground group when the size
      // changed.
      if (!had || memcmp(&old, &v, sizeof(v)) != 0)
        tty::SignalProcessGroup(t.kernel(), fd.tty()->foreground_pgid, SIGWINCH);
      return 0;
    }
    case FIONREAD: return HostGet<int>(t, fd.fd(), cmd, arg);
    default:
      if (!fd.tty()) return Err(Errno::kENOTTY);
      if (auto r = tty::JobControlIoctl(t, *fd.tty(), cmd, arg)) return *r;
      return Err(Errno::kENOTTY);
  }
}

}  // namespace bulwark::fsimpl::host
