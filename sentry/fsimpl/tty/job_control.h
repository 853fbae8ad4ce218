// Terminal job control shared by every terminal of the sandbox: the host
// ttys of the container's stdio (fsimpl/host) and the sandbox's own
// pseudo-terminals (fsimpl/devpts). See tty_ioctl(4), credentials(7) and
// Linux drivers/tty/tty_jobctrl.c.
//
// Deliberate difference from Linux: the controlling terminal is kept per
// session (JobControl::session), not per process; every process of a
// session shares its session's terminal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "base/result.h"
#include "sentry/vfs/file.h"

namespace bulwark::kernel {
class Kernel;
class Task;
}  // namespace bulwark::kernel

namespace bulwark::fsimpl::tty {

// struct termios as TCGETS/TCSETS take it (asm-generic/termbits.h), which
// differs from glibc's.
struct KernelTermios {
  uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
  uint8_t c_line;
  uint8_t c_cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

// The job-control state of one terminal. Every live instance is listed in a
// sentry-wide registry (for TtyOfSession). Guarded by the kernel lock;
// created and destroyed with it held.
class JobControl {
 public:
  // `lenient`: a terminal that is nobody's controlling terminal counts as
  // the caller's for TIOCGPGRP/TIOCSPGRP (the host stdio of a container
  // without process.terminal, which has no other).
  explicit JobControl(bool lenient = false);
  virtual ~JobControl();
  JobControl(const JobControl&) = delete;
  JobControl& operator=(const JobControl&) = delete;

  // Session whose controlling terminal this is (0: none; TIOCSCTTY).
  pid_t session = 0;
  // Foreground process group (0: none yet; TIOCSPGRP).
  pid_t foreground_pgid = 0;
  // The terminal's device number, for /proc/PID/stat's tty_nr (0: none).
  dev_t device = 0;
  const bool lenient;

  // Opens this terminal again, as /dev/tty does for its controlling
  // terminal. ENXIO when it cannot be reopened.
  virtual SysResult<std::shared_ptr<vfs::FileDescription>> Reopen(kernel::Task& t,
                                                                  const vfs::Path& path,
                                                                  int flags) {
    return Err(Errno::kENXIO);
  }
};

// The terminal whose session is `sid`, or nullptr. Precondition: kernel
// lock held.
JobControl* TtyOfSession(pid_t sid);

// The job-control requests: TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY,
// TIOCNOTTY. nullopt for any other `cmd`. Precondition: kernel lock held.
std::optional<SysResult<uint64_t>> JobControlIoctl(kernel::Task& t, JobControl& tty,
                                                   uint32_t cmd, uint64_t arg);

// Makes `tty` the controlling terminal of `sid` with foreground `pgid`.
void SetControllingTty(JobControl& tty, pid_t sid, pid_t pgid);

// __tty_check_change(): a process of a background group reading (SIGTTIN)
// or writing/changing (SIGTTOU) its controlling terminal gets `sig` sent to
// its group and ERESTARTSYS; EIO when the signal is ignored or blocked (for
// SIGTTIN only; SIGTTOU is then allowed) or the group is orphaned.
SysResult<void> CheckJobControl(kernel::Task& t, const JobControl& tty, int sig);

// Sends `sig` to every live process of group `pgid`.
void SignalProcessGroup(kernel::Kernel& k, pid_t pgid, int sig);

// tty_signal_session_leader() for a hangup: the session leader gets SIGHUP
// and SIGCONT, and the session loses its controlling terminal.
void HangUp(kernel::Kernel& k, JobControl& tty);

}  // namespace bulwark::fsimpl::tty
