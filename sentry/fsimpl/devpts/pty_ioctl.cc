// ioctl(2) requests both ends of a pseudo-terminal take (tty_ioctl(4)).
// As Linux's tty_pair_get_tty, the master's termios, window size and job
// control requests act on the replica.

#include <sys/ioctl.h>
#include <termios.h>

#include "base/log.h"
#include "sentry/fsimpl/devpts/pty.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::devpts {

namespace {

using kernel::UserPtr;

SysResult<uint64_t> SetTermios(kernel::Task& t, PtyPair& p, bool master, uint32_t cmd,
                               uint64_t arg) {
  // tty_check_change(): a background process changing its terminal.
  if (!master) TRY(tty::CheckJobControl(t, p, SIGTTOU));
  KernelTermios v = TRY(t.CopyIn(UserPtr<KernelTermios>{arg}));
  // TCSETSW waits for output to drain; the master's buffer is not the
  // replica's to wait for (pty output is "sent" once queued), as Linux.
  if (cmd == TCSETSF) {
    p.ld.Flush();
    p.pending_input.clear();
    p.SetPacketStatus(TIOCPKT_FLUSHREAD);
  }
  p.ld.SetTermios(v);
  p.Pump();
  p.NotifyAll();
  return 0;
}

SysResult<uint64_t> Flush(PtyPair& p, bool master, uint64_t arg) {
  if (arg != TCIFLUSH && arg != TCOFLUSH && arg != TCIOFLUSH) return Err(Errno::kEINVAL);
  bool in = arg != TCOFLUSH, out = arg != TCIFLUSH;
  if (master) {
    // The master's input is the replica's output, and the other way round.
    if (in) p.to_master.clear();
    if (out) p.pending_input.clear();
  } else {
    if (in) {
      p.ld.Flush();
      p.pending_input.clear();
      p.SetPacketStatus(TIOCPKT_FLUSHREAD);
    }
    if (out) {
      p.to_master.clear();
      p.SetPacketStatus(TIOCPKT_FLUSHWRITE);
    }
  }
  p.NotifyAll();
  return 0;
}

}  // namespace

std::optional<SysResult<uint64_t>> CommonIoctl(kernel::Task& t, PtyPair& p, bool master,
                                               uint32_t cmd, uint64_t arg) {
  switch (cmd) {
    case TCGETS:
      TRY(t.CopyOut(UserPtr<KernelTermios>{arg}, p.ld.termios()));
      return 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF: return SetTermios(t, p, master, cmd, arg);
    case TIOCGWINSZ:
      TRY(t.CopyOut(UserPtr<winsize>{arg}, p.ws));
      return 0;
    case TIOCSWINSZ: {
      p.Resize(TRY(t.CopyIn(UserPtr<winsize>{arg})));
      return 0;
    }
    case FIONREAD: {
      size_t n = master ? p.to_master.size() : p.ld.Readable();
      TRY(t.CopyOut(UserPtr<int>{arg}, static_cast<int>(n)));
      return 0;
    }
    case TIOCOUTQ:
      // pty has no chars_in_buffer: queued output counts as sent.
      TRY(t.CopyOut(UserPtr<int>{arg}, 0));
      return 0;
    case TCFLSH: return Flush(p, master, arg);
    case TCXONC:
      // Accepted; output is never stopped (see LineDiscipline::Receive).
      if (arg > TCION) return Err(Errno::kEINVAL);
      return 0;
    case TCSBRK:
    case TCSBRKP:
    case TIOCSBRK:
    case TIOCCBRK:
      return 0;  // a pty has no line to break, and its output never waits
    case TIOCGETD:
      TRY(t.CopyOut(UserPtr<int>{arg}, N_TTY));
      return 0;
    case TIOCSETD: {
      int ld = TRY(t.CopyIn(UserPtr<int>{arg}));
      if (ld != N_TTY) {
        LOG_INFO("pty: line discipline %d is not supported", ld);
        return Err(Errno::kEINVAL);
      }
      return 0;
    }
    default:
      if (auto r = tty::JobControlIoctl(t, p, cmd, arg)) return r;
      LOG_DEBUG("pty: unsupported ioctl %#x", cmd);
      return std::nullopt;
  }
}

}  // namespace bulwark::fsimpl::devpts
