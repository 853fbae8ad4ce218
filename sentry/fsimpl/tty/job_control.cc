#include "sentry/fsimpl/tty/job_control.h"

#include <linux/capability.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <vector>

#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::fsimpl::tty {

namespace {

using kernel::UserPtr;

// Every live JobControl. Guarded by the kernel lock.
std::vector<JobControl*>& Registry() {
  static auto* r = new std::vector<JobControl*>();
  return *r;
}

bool SessionAlive(const kernel::Kernel& k, pid_t sid) {
  for (const auto& [pid, tg] : k.thread_groups())
    if (tg->sid == sid && !tg->zombie) return true;
  return false;
}

// The terminal is someone's controlling terminal, but not the caller's
// (tty_jobctrl.c: "current->signal->tty != real_tty" -> ENOTTY). A lenient
// terminal that is nobody's controlling terminal counts as the caller's.
bool NotCallersTty(const JobControl& s, const kernel::Task& t) {
  if (s.session == 0) return !s.lenient;
  return s.session != t.tg().sid && SessionAlive(t.kernel(), s.session);
}

// is_current_pgrp_orphaned(): no member has a parent in another group of
// the same session.
bool PgrpOrphaned(const kernel::Kernel& k, pid_t pgid) {
  for (const auto& [pid, tg] : k.thread_groups()) {
    if (tg->pgid != pgid || tg->zombie || tg->exiting) continue;
    const kernel::ThreadGroup* p = tg->parent;
    if (p && p->pgid != pgid && p->sid == tg->sid) return false;
  }
  return true;
}

bool BlockedOrIgnored(const kernel::Task& t, int sig) {
  if (t.sigmask & kernel::SigBit(sig)) return true;
  return t.tg().handlers->actions[sig].handler == reinterpret_cast<uint64_t>(SIG_IGN);
}

}  // namespace

JobControl::JobControl(bool lenient) : lenient(lenient) { Registry().push_back(this); }

JobControl::~JobControl() { std::erase(Registry(), this); }

JobControl* TtyOfSession(pid_t sid) {
  if (sid == 0) return nullptr;
  for (JobControl* j : Registry())
    if (j->session == sid) return j;
  return nullptr;
}

void SetControllingTty(JobControl& tty, pid_t sid, pid_t pgid) {
  tty.session = sid;
  tty.foreground_pgid = pgid;
}

void SignalProcessGroup(kernel::Kernel& k, pid_t pgid, int sig) {
  if (pgid <= 0) return;
  for (const auto& [pid, tg] : k.thread_groups())
    if (tg->pgid == pgid && !tg->zombie)
      kernel::SendGroupSignal(*tg, kernel::MakeSigInfo(sig, SI_KERNEL));
}

void HangUp(kernel::Kernel& k, JobControl& tty) {
  pid_t sid = tty.session;
  tty.session = 0;
  tty.foreground_pgid = 0;
  if (sid == 0) return;
  auto it = k.thread_groups().find(sid);
  if (it == k.thread_groups().end() || it->second->zombie || it->second->sid != sid) return;
  kernel::SendGroupSignal(*it->second, kernel::MakeSigInfo(SIGHUP, SI_KERNEL));
  kernel::SendGroupSignal(*it->second, kernel::MakeSigInfo(SIGCONT, SI_KERNEL));
}

SysResult<void> CheckJobControl(kernel::Task& t, const JobControl& tty, int sig) {
  if (tty.session == 0 || tty.session != t.tg().sid) return {};
  pid_t pgrp = t.tg().pgid;
  if (tty.foreground_pgid == 0 || tty.foreground_pgid == pgrp) return {};
  if (BlockedOrIgnored(t, sig)) {
    if (sig == SIGTTIN) return Err(Errno::kEIO);
    return {};
  }
  if (PgrpOrphaned(t.kernel(), pgrp)) return Err(Errno::kEIO);
  SignalProcessGroup(t.kernel(), pgrp, sig);
  return Err(Errno::kERESTARTSYS);
}

std::optional<SysResult<uint64_t>> JobControlIoctl(kernel::Task& t, JobControl& s, uint32_t cmd,
                                                   uint64_t arg) {
  switch (cmd) {
    case TIOCGPGRP: {
      if (NotCallersTty(s, t)) return Err(Errno::kENOTTY);
      // Without a foreground group yet, the caller's own group (the host's
      // group would be outside the sandbox's pid namespace).
      int32_t pgid = s.foreground_pgid ? s.foreground_pgid : t.tg().pgid;
      TRY(t.CopyOut(UserPtr<int32_t>{arg}, pgid));
      return 0;
    }
    case TIOCSPGRP: {
      if (NotCallersTty(s, t)) return Err(Errno::kENOTTY);
      TRY(CheckJobControl(t, s, SIGTTOU));
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
      if (s.session == 0 || s.session != t.tg().sid) return Err(Errno::kENOTTY);
      TRY(t.CopyOut(UserPtr<int32_t>{arg}, static_cast<int32_t>(s.session)));
      return 0;
    }
    case TIOCSCTTY: {
      // tiocsctty(): only a session leader without a controlling terminal;
      // a terminal held by another live session only with arg 1 and
      // CAP_SYS_ADMIN (stealing it).
      kernel::ThreadGroup& tg = t.tg();
      if (s.session == tg.sid && tg.sid == tg.tgid) return 0;
      if (tg.sid != tg.tgid) return Err(Errno::kEPERM);
      if (TtyOfSession(tg.sid) != nullptr) return Err(Errno::kEPERM);
      if (s.session != 0 && s.session != tg.sid && SessionAlive(t.kernel(), s.session)) {
        bool admin = t.creds().cap_effective & (uint64_t{1} << CAP_SYS_ADMIN);
        if (arg != 1 || !admin) return Err(Errno::kEPERM);
      }
      SetControllingTty(s, tg.sid, tg.pgid);
      return 0;
    }
    case TIOCNOTTY: {
      // The session leader gives up its terminal: SIGHUP and SIGCONT to the
      // foreground group (disassociate_ctty). Deliberate difference: Linux
      // keeps the controlling terminal per process, this emulation per
      // session, so a non-leader's TIOCNOTTY changes nothing.
      if (s.session == 0 || s.session != t.tg().sid) return Err(Errno::kENOTTY);
      if (t.tg().sid == t.tg().tgid) {
        pid_t fg = s.foreground_pgid;
        s.session = 0;
        s.foreground_pgid = 0;
        if (fg != 0) {
          SignalProcessGroup(t.kernel(), fg, SIGHUP);
          SignalProcessGroup(t.kernel(), fg, SIGCONT);
        }
      }
      return 0;
    }
    default: return std::nullopt;
  }
}

}  // namespace bulwark::fsimpl::tty
