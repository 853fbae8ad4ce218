#include "sentry/fsimpl/host/tty_ioctl.h"

#include <sys/ioctl.h>

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
    case TIOCSWINSZ: return HostSet<winsize>(t, fd.fd(), cmd, arg, false);
    case FIONREAD: return HostGet<int>(t, fd.fd(), cmd, arg);
    case TIOCGPGRP: {
      // The host's foreground group is outside the sandbox's pid namespace.
      // TODO(#3): job control with a sentry-side terminal.
      if (!fd.is_tty()) return Err(Errno::kENOTTY);
      int32_t pgid = fd.foreground_pgid ? fd.foreground_pgid : t.tg().pgid;
      TRY(t.CopyOut(UserPtr<int32_t>{arg}, pgid));
      return 0;
    }
    case TIOCSPGRP: {
      if (!fd.is_tty()) return Err(Errno::kENOTTY);
      int32_t pgid = TRY(t.CopyIn(UserPtr<int32_t>{arg}));
      if (pgid < 0) return Err(Errno::kEINVAL);
      // tty_ioctl(4): ESRCH without such a group, EPERM in another session.
      bool found = false;
      for (const auto& [pid, tg] : t.kernel().thread_groups()) {
        if (tg->pgid != pgid) continue;
        if (tg->sid != t.tg().sid) return Err(Errno::kEPERM);
        found = true;
      }
      if (!found) return Err(Errno::kESRCH);
      fd.foreground_pgid = pgid;
      return 0;
    }
    default: return Err(Errno::kENOTTY);
  }
}

}  // namespace bulwark::fsimpl::host
