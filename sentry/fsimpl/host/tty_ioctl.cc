#include "sentry/fsimpl/host/tty_ioctl.h"

#include <linux/capability.h>
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

bool SessionAlive(const kernel::Kernel& k, pid_t sid) {
  for (const auto& [pid, tg] : k.thread_groups())
    if (tg->sid == sid && !tg->zombie) return true;
  return false;
}

// The terminal is someone's controlling terminal, but not the caller's
// (tty_jobctrl.c: "current->signal->tty != real_tty" -> ENOTTY). A terminal
// that is nobody's controlling terminal (stdio of a container without
// process.terminal) is treated leniently as the caller's: it has no other.
bool NotCallersTty(const TtyState& s, const kernel::Task& t) {
  return s.session != 0 && s.session != t.tg().sid && SessionAlive(t.kernel(), s.session);
}

void SignalGroup(kernel::Kernel& k, pid_t pgid, int sig) {
  for (const auto& [pid, tg] : k.thread_groups())
    if (tg->pgid == pgid && !tg->zombie)
      kernel::SendGroupSignal(*tg, kernel::MakeSigInfo(sig, SI_KERNEL));
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
      if ((!had || memcmp(&old, &v, sizeof(v)) != 0) && fd.tty()->foreground_pgid != 0)
        SignalGroup(t.kernel(), fd.tty()->foreground_pgid, SIGWINCH);
      return 0;
    }
    case FIONREAD: return HostGet<int>(t, fd.fd(), cmd, arg);
    case TIOCGPGRP: {
      if (!fd.tty()) return Err(Errno::kENOTTY);
      TtyState& s = *fd.tty();
      if (NotCallersTty(s, t)) return Err(Errno::kENOTTY);
      // Without a foreground group yet, the caller's own group (the host's
      // group would be outside the sandbox's pid namespace).
      int32_t pgid = s.foreground_pgid ? s.foreground_pgid : t.tg().pgid;
      TRY(t.CopyOut(UserPtr<int32_t>{arg}, pgid));
      return 0;
    }
    case TIOCSPGRP: {
      if (!fd.tty()) return Err(Errno::kENOTTY);
      TtyState& s = *fd.tty();
      if (NotCallersTty(s, t)) return Err(Errno::kENOTTY);
      int32_t pgid = TRY(t.CopyIn(UserPtr<int32_t>{arg}));
      if (pgid < 0) return Err(Errno::kEINVAL);
      // tty_ioctl(4): ESRCH without such a group, EPERM in another session.
      bool found = false;
      for (const auto& [pid, tg] : t.kernel().thread_groups()) {
        if (tg->pgid != pgid || tg->zombie) continue;
        if (tg->sid != t.tg().sid) return Err(Errno::kEPERM);
        found = true;
      }
      if (!found) return Err(Errno::kESRCH);
      s.foreground_pgid = pgid;
      return 0;
    }
    case TIOCGSID: {
      if (!fd.tty()) return Err(Errno::kENOTTY);
      TtyState& s = *fd.tty();
      if (s.session == 0 || s.session != t.tg().sid) return Err(Errno::kENOTTY);
      TRY(t.CopyOut(UserPtr<int32_t>{arg}, static_cast<int32_t>(s.session)));
      return 0;
    }
    case TIOCSCTTY: {
      // tiocsctty(): only a session leader without a controlling terminal;
      // a terminal held by another live session only with arg 1 and
      // CAP_SYS_ADMIN (stealing it).
      if (!fd.tty()) return Err(Errno::kENOTTY);
      TtyState& s = *fd.tty();
      kernel::ThreadGroup& tg = t.tg();
      if (s.session == tg.sid && tg.sid == tg.tgid) return 0;
      if (tg.sid != tg.tgid) return Err(Errno::kEPERM);
      if (TtyOfSession(tg.sid) != nullptr) return Err(Errno::kEPERM);
      if (s.session != 0 && s.session != tg.sid && SessionAlive(t.kernel(), s.session)) {
        bool admin = t.creds().cap_effective & (uint64_t{1} << CAP_SYS_ADMIN);
        if (arg != 1 || !admin) return Err(Errno::kEPERM);
      }
      SetControllingTty(fd, tg.sid, tg.pgid);
      return 0;
    }
    case TIOCNOTTY: {
      // The session leader gives up its terminal: SIGHUP and SIGCONT to the
      // foreground group (disassociate_ctty). Deliberate difference: Linux
      // keeps the controlling terminal per process, this emulation per
      // session, so a non-leader's TIOCNOTTY changes nothing.
      if (!fd.tty()) return Err(Errno::kENOTTY);
      TtyState& s = *fd.tty();
      if (s.session == 0 || s.session != t.tg().sid) return Err(Errno::kENOTTY);
      if (t.tg().sid == t.tg().tgid) {
        pid_t fg = s.foreground_pgid;
        s.session = 0;
        s.foreground_pgid = 0;
        if (fg != 0) {
          SignalGroup(t.kernel(), fg, SIGHUP);
          SignalGroup(t.kernel(), fg, SIGCONT);
        }
      }
      return 0;
    }
    default: return Err(Errno::kENOTTY);
  }
}

}  // namespace bulwark::fsimpl::host
