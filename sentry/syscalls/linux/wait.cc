// exit(2), exit_group(2), wait4(2), waitid(2).
#include <sys/wait.h>

#include <cstring>

#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/syscalls/linux/sys_pidfd.h"
#include "sentry/syscalls/linux/sys_process.h"

namespace bulwark::syscalls {

using kernel::ThreadGroup;

SysResult<void> sys_exit(Task& t, int code) {
  t.exit_code = code;
  t.exiting = true;
  return {};
}

SysResult<void> sys_exit_group(Task& t, int code) {
  kernel::GroupExit(t.tg(), (code & 0xff) << 8);
  return {};
}

namespace {

enum class Which { kPid, kPgid, kAll };

struct WaitRequest {
  Which which = Which::kAll;
  pid_t id = 0;
  int options = 0;  // WNOHANG, WEXITED, WSTOPPED (WUNTRACED), WCONTINUED, WNOWAIT, __WALL...
};

struct WaitResult {
  pid_t pid = 0;
  int status = 0;  // wait4 status word
  int code = 0;    // CLD_*
  int child_status = 0;
  uid_t uid = 0;
  uint64_t utime_ns = 0, stime_ns = 0;
  kernel::ResourceCounts counts;  // the child's and its waited-for children's
};

bool Matches(const ThreadGroup& c, const WaitRequest& req) {
  // __WALL / __WCLONE select by exit signal (wait(2) NOTES).
  bool clone_child = c.exit_signal != SIGCHLD;
  if (!(req.options & __WALL) && (((req.options & __WCLONE) != 0) != clone_child)) return false;
  switch (req.which) {
    case Which::kPid: return c.tgid == req.id;
    case Which::kPgid: return c.pgid == req.id;
    case Which::kAll: return true;
  }
  return false;
}

// One pass over the children. Returns true with *out set when a child was
// collected; false when none is ready (ECHILD when none matches at all).
SysResult<bool> TryWait(Task& t, const WaitRequest& req, WaitResult* out) {
  ThreadGroup& tg = t.tg();
  bool any = false;
  for (size_t i = 0; i < tg.children.size(); ++i) {
    auto c = tg.children[i];
    if (!Matches(*c, req)) continue;
    any = true;
    if (c->zombie && (req.options & WEXITED)) {
      out->pid = c->tgid;
      out->status = c->wait_status;
      if (WIFSIGNALED(c->wait_status)) {
        out->code = CLD_KILLED;
        out->child_status = WTERMSIG(c->wait_status);
      } else {
        out->code = CLD_EXITED;
        out->child_status = WEXITSTATUS(c->wait_status);
      }
      out->utime_ns = c->utime_ns + c->cutime_ns;
      out->stime_ns = c->stime_ns + c->cstime_ns;
      out->counts = c->counts;
      out->counts.Add(c->ccounts);
      if (!(req.options & WNOWAIT)) {
        tg.cutime_ns += out->utime_ns;
        tg.cstime_ns += out->stime_ns;
        tg.ccounts.Add(out->counts);
        tg.children.erase(tg.children.begin() + static_cast<long>(i));
        t.kernel().RemoveThreadGroup(c->tgid);
      }
      return true;
    }
    if (c->group_stopped && c->stopped_report && (req.options & WSTOPPED)) {
      out->pid = c->tgid;
      out->status = (c->stop_signal << 8) | 0x7f;
      out->code = CLD_STOPPED;
      out->child_status = c->stop_signal;
      if (!(req.options & WNOWAIT)) c->stopped_report = false;
      return true;
    }
    if (c->continued_report && (req.options & WCONTINUED)) {
      out->pid = c->tgid;
      out->status = 0xffff;
      out->code = CLD_CONTINUED;
      out->child_status = SIGCONT;
      if (!(req.options & WNOWAIT)) c->continued_report = false;
      return true;
    }
  }
  if (!any) return Err(Errno::kECHILD);
  return false;
}

SysResult<WaitResult> DoWait(Task& t, const WaitRequest& req) {
  WaitResult res;
  while (true) {
    if (TRY(TryWait(t, req, &res))) return res;
    if (req.options & WNOHANG) return WaitResult{};
    t.tg().child_events.Add(&t);
    auto r = t.Block(nullptr);
    t.tg().child_events.Remove(&t);
    if (!r) return Err(r.error());  // ERESTARTSYS
  }
}

void FillRusage(const WaitResult& w, struct rusage* ru) {
  std::memset(ru, 0, sizeof(*ru));
  ru->ru_utime.tv_sec = static_cast<time_t>(w.utime_ns / 1000000000);
  ru->ru_utime.tv_usec = static_cast<suseconds_t>((w.utime_ns % 1000000000) / 1000);
  ru->ru_stime.tv_sec = static_cast<time_t>(w.stime_ns / 1000000000);
  ru->ru_stime.tv_usec = static_cast<suseconds_t>((w.stime_ns % 1000000000) / 1000);
  ru->ru_maxrss = static_cast<long>(w.counts.maxrss_kb);
  ru->ru_minflt = static_cast<long>(w.counts.minflt);
  ru->ru_majflt = static_cast<long>(w.counts.majflt);
  ru->ru_nvcsw = static_cast<long>(w.counts.nvcsw);
  ru->ru_nivcsw = static_cast<long>(w.counts.nivcsw);
}

}  // namespace

SysResult<pid_t> sys_wait4(Task& t, pid_t pid, UserPtr<int> status, int options,
                           UserPtr<struct rusage> rusage) {
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
    return Err(Errno::kEINVAL);
  WaitRequest req;
  req.options = options | WEXITED;
  if (pid == INT32_MIN) return Err(Errno::kESRCH);
  if (pid > 0) {
    req.which = Which::kPid;
    req.id = pid;
  } else if (pid == 0) {
    req.which = Which::kPgid;
    req.id = t.tg().pgid;
  } else if (pid < -1) {
    req.which = Which::kPgid;
    req.id = -pid;
  }
  WaitResult w = TRY(DoWait(t, req));
  if (w.pid != 0) {
    if (!status.null()) TRY(t.CopyOut(status, w.status));
    if (!rusage.null()) {
      struct rusage ru;
      FillRusage(w, &ru);
      TRY(t.CopyOut(rusage, ru));
    }
  }
  return w.pid;
}

SysResult<void> sys_waitid(Task& t, int idtype, pid_t id, UserPtr<siginfo_t> info, int options,
                           UserPtr<struct rusage> rusage) {
  if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WCLONE |
                  __WALL))
    return Err(Errno::kEINVAL);
  if (!(options & (WEXITED | WSTOPPED | WCONTINUED))) return Err(Errno::kEINVAL);
  WaitRequest req;
  req.options = options;
  bool nonblock_pidfd = false;
  switch (idtype) {
    case P_ALL: req.which = Which::kAll; break;
    case P_PID:
      if (id <= 0) return Err(Errno::kEINVAL);
      req.which = Which::kPid;
      req.id = id;
      break;
    case P_PGID:
      if (id < 0) return Err(Errno::kEINVAL);
      req.which = Which::kPgid;
      req.id = id == 0 ? t.tg().pgid : id;
      break;
    case P_PIDFD: {
      auto pidfd = TRY(PidFdAt(t, id));
      req.which = Which::kPid;
      req.id = pidfd->tg()->tgid;
      // A PIDFD_NONBLOCK pidfd waits as WNOHANG, but "nothing yet" is
      // EAGAIN (kernel_waitid()).
      if (pidfd->flags() & O_NONBLOCK) {
        req.options |= WNOHANG;
        nonblock_pidfd = true;
      }
      break;
    }
    default:
      return Err(Errno::kEINVAL);
  }
  WaitResult w = TRY(DoWait(t, req));
  if (nonblock_pidfd && w.pid == 0) return Err(Errno::kEAGAIN);
  if (!info.null()) {
    siginfo_t si;
    std::memset(&si, 0, sizeof(si));
    if (w.pid != 0) {
      si.si_signo = SIGCHLD;
      si.si_code = w.code;
      si.si_pid = w.pid;
      si.si_uid = w.uid;
      si.si_status = w.child_status;
    }
    TRY(t.CopyOut(info, si));
  }
  if (!rusage.null()) {
    struct rusage ru;
    FillRusage(w, &ru);
    TRY(t.CopyOut(rusage, ru));
  }
  return {};
}

SysResult<pid_t> sys_getpid(Task& t) { return t.tgid(); }
SysResult<pid_t> sys_gettid(Task& t) { return t.tid(); }
SysResult<pid_t> sys_getppid(Task& t) {
  // The sandbox's init has no parent inside the pid namespace.
  return t.tg().parent ? t.tg().parent->tgid : 0;
}

SysResult<pid_t> sys_getpgid(Task& t, pid_t pid) {
  if (pid == 0) return t.tg().pgid;
  auto tg = t.kernel().ThreadGroupByPid(pid);
  if (!tg) return Err(Errno::kESRCH);
  return tg->pgid;
}

SysResult<pid_t> sys_getpgrp(Task& t) { return t.tg().pgid; }

SysResult<pid_t> sys_getsid(Task& t, pid_t pid) {
  if (pid == 0) return t.tg().sid;
  auto tg = t.kernel().ThreadGroupByPid(pid);
  if (!tg) return Err(Errno::kESRCH);
  return tg->sid;
}

SysResult<void> sys_setpgid(Task& t, pid_t pid, pid_t pgid) {
  if (pgid < 0) return Err(Errno::kEINVAL);
  ThreadGroup* target = &t.tg();
  if (pid != 0 && pid != t.tgid()) {
    auto tg = t.kernel().ThreadGroupByPid(pid);
    if (!tg || tg->parent != &t.tg()) return Err(Errno::kESRCH);
    if (tg->sid != t.tg().sid) return Err(Errno::kEPERM);
    // A child that has exec'd can no longer be moved (setpgid(2) EACCES).
    if (tg->did_exec) return Err(Errno::kEACCES);
    target = tg.get();
  }
  if (target->sid == target->tgid) return Err(Errno::kEPERM);  // session leader
  if (pgid == 0) pgid = target->tgid;
  if (pgid != target->tgid) {
    // The group must exist in the caller's session.
    bool found = false;
    for (auto& [id, tg] : t.kernel().thread_groups())
      if (tg->pgid == pgid && tg->sid == t.tg().sid && !tg->zombie) found = true;
    if (!found) return Err(Errno::kEPERM);
  }
  target->pgid = pgid;
  return {};
}

SysResult<pid_t> sys_setsid(Task& t) {
  ThreadGroup& tg = t.tg();
  // EPERM if the caller already leads a process group.
  for (auto& [id, other] : t.kernel().thread_groups())
    if (other->pgid == tg.tgid && other.get() != &tg) return Err(Errno::kEPERM);
  if (tg.pgid == tg.tgid) return Err(Errno::kEPERM);
  tg.sid = tg.tgid;
  tg.pgid = tg.tgid;
  return tg.sid;
}

}  // namespace bulwark::syscalls
