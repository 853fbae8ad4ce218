// Signal syscalls (signal(7), rt_sigaction(2), kill(2), ...).
#include <cstring>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)  // linux/signal.h
#endif

#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/syscalls/linux/sys_signal.h"

namespace bulwark::syscalls {

using kernel::KSigAction;
using kernel::SigBit;
using kernel::SigSet;
using kernel::ThreadGroup;

namespace {

bool ValidSignal(int sig) { return sig >= 1 && sig <= kernel::kNumSignals; }

}  // namespace

bool MaySignal(const Task& sender, const ThreadGroup& target) {
  const auto& c = sender.creds();
  if (c.HasCap(CAP_KILL)) return true;
  Task* leader = target.Leader();
  if (leader == nullptr) return true;
  const auto& tc = leader->creds();
  return c.euid == tc.ruid || c.euid == tc.suid || c.ruid == tc.ruid || c.ruid == tc.suid;
}

namespace {

siginfo_t UserSigInfo(Task& t, int sig) {
  return kernel::MakeSigInfo(sig, SI_USER, t.tgid(), t.creds().ruid);
}

}  // namespace

SysResult<void> sys_rt_sigaction(Task& t, int sig, UserPtr<KSigAction> act,
                                 UserPtr<KSigAction> oact, size_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  if (!ValidSignal(sig)) return Err(Errno::kEINVAL);
  KSigAction& cur = t.tg().handlers->actions[sig];
  KSigAction old = cur;
  if (!act.null()) {
    KSigAction n = TRY(t.CopyIn(act));
    if (sig == SIGKILL || sig == SIGSTOP) return Err(Errno::kEINVAL);
    n.mask &= ~kernel::kUnblockable;
    cur = n;
    // Setting SIG_IGN, or SIG_DFL for a default-ignored signal, discards it
    // from every pending queue (POSIX; do_sigaction).
    bool ignored = n.handler == reinterpret_cast<uint64_t>(SIG_IGN) ||
                   (n.handler == reinterpret_cast<uint64_t>(SIG_DFL) &&
                    kernel::DefaultActionOf(sig) == kernel::DefaultAction::kIgnore);
    if (ignored) {
      t.tg().pending.Discard(sig);
      for (Task* th : t.tg().tasks) th->pending.Discard(sig);
    }
  }
  if (!oact.null()) TRY(t.CopyOut(oact, old));
  return {};
}

SysResult<void> sys_rt_sigprocmask(Task& t, int how, UserPtr<SigSet> set, UserPtr<SigSet> oset,
                                   size_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet old = t.sigmask;
  if (!set.null()) {
    SigSet s = TRY(t.CopyIn(set));
    switch (how) {
      case SIG_BLOCK: t.sigmask |= s; break;
      case SIG_UNBLOCK: t.sigmask &= ~s; break;
      case SIG_SETMASK: t.sigmask = s; break;
      default: return Err(Errno::kEINVAL);
    }
    t.sigmask &= ~kernel::kUnblockable;
    // Process-directed signals this thread now blocks may have been meant
    // for it: let another thread take them (retarget_shared_pending).
    if ((t.sigmask & ~old) & t.tg().pending.set) kernel::RetargetGroupSignals(t.tg());
  }
  if (!oset.null()) TRY(t.CopyOut(oset, old));
  return {};
}

SysResult<uint64_t> sys_rt_sigreturn(Task& t) { return kernel::SigReturn(t); }

SysResult<void> sys_rt_sigpending(Task& t, UserPtr<SigSet> set, size_t sigsetsize) {
  if (sigsetsize > sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet s = (t.pending.set | t.tg().pending.set) & t.sigmask;
  return t.CopyOutBytes(set.addr, &s, sigsetsize);
}

SysResult<int> sys_rt_sigsuspend(Task& t, UserPtr<SigSet> mask, size_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet m = TRY(t.CopyIn(mask));
  t.saved_sigmask = t.sigmask;
  t.restore_saved_sigmask = true;
  t.sigmask = m & ~kernel::kUnblockable;
  while (true) {
    auto r = t.Block(nullptr);
    if (!r && r.error() == Errno::kERESTARTSYS) break;
  }
  // The handler runs with the suspended mask; the old one comes back
  // through the frame (restore_saved_sigmask).
  return Err(Errno::kERESTARTNOHAND);
}

SysResult<int> sys_pause(Task& t) {
  while (true) {
    auto r = t.Block(nullptr);
    if (!r && r.error() == Errno::kERESTARTSYS) break;
  }
  return Err(Errno::kERESTARTNOHAND);
}

SysResult<void> sys_sigaltstack(Task& t, UserPtr<stack_t> ss, UserPtr<stack_t> oss) {
  uint64_t sp = t.regs().regs.rsp;
  auto base = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  bool on = !(t.altstack.ss_flags & SS_DISABLE) && sp > base && sp - base <= t.altstack.ss_size;
  if (!oss.null()) {
    stack_t o = t.altstack;
    o.ss_flags = on ? SS_ONSTACK : (t.altstack.ss_flags & SS_DISABLE);
    TRY(t.CopyOut(oss, o));
  }
  if (!ss.null()) {
    stack_t n = TRY(t.CopyIn(ss));
    if (on) return Err(Errno::kEPERM);
    int mode = n.ss_flags & ~SS_AUTODISARM;
    if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK) return Err(Errno::kEINVAL);
    if (mode == SS_DISABLE) {
      t.altstack = stack_t{nullptr, SS_DISABLE, 0};
    } else {
      // The kernel's constant MINSIGSTKSZ (2048, kernel/signal.c
      // do_sigaltstack), not glibc's, which with _GNU_SOURCE is the host's
      // sysconf(_SC_MINSIGSTKSZ).
      constexpr size_t kMinSigStackSize = 2048;
      if (n.ss_size < kMinSigStackSize) return Err(Errno::kENOMEM);
      t.altstack = stack_t{n.ss_sp, static_cast<int>(n.ss_flags & SS_AUTODISARM), n.ss_size};
    }
  }
  return {};
}

SysResult<void> sys_kill(Task& t, pid_t pid, int sig) {
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  siginfo_t info = UserSigInfo(t, sig);
  auto& k = t.kernel();
  if (pid > 0) {
    auto tg = k.ThreadGroupByPid(pid);
    if (!tg || tg->zombie) {
      if (tg && tg->zombie) return {};  // a zombie exists: success, nothing delivered
      return Err(Errno::kESRCH);
    }
    if (!MaySignal(t, *tg)) return Err(Errno::kEPERM);
    if (sig != 0) kernel::SendGroupSignal(*tg, info);
    return {};
  }
  // pid 0: caller's process group; -1: every process but init and the
  // caller's own; < -1: process group -pid.
  pid_t pgid = pid == 0 ? t.tg().pgid : -pid;
  bool any = false, permitted = false;
  std::vector<std::shared_ptr<ThreadGroup>> targets;
  for (auto& [id, tg] : k.thread_groups()) {
    if (tg->zombie) continue;
    if (pid == -1) {
      if (tg.get() == k.init() || tg.get() == &t.tg()) continue;
    } else if (tg->pgid != pgid) {
      continue;
    }
    any = true;
    if (!MaySignal(t, *tg)) continue;
    permitted = true;
    targets.push_back(tg);
  }
  if (!any) return Err(Errno::kESRCH);
  if (!permitted) return Err(Errno::kEPERM);
  if (sig != 0)
    for (auto& tg : targets) kernel::SendGroupSignal(*tg, info);
  return {};
}

namespace {

SysResult<void> ThreadKill(Task& t, pid_t tgid, pid_t tid, int sig) {
  if (tid <= 0 || (tgid != -1 && tgid <= 0)) return Err(Errno::kEINVAL);
  if (sig != 0 && !ValidSignal(sig)) return Err(Errno::kEINVAL);
  Task* target = t.kernel().TaskByTid(tid);
  if (target == nullptr || (tgid != -1 && target->tgid() != tgid)) return Err(Errno::kESRCH);
  if (!MaySignal(t, target->tg())) return Err(Errno::kEPERM);
  if (sig != 0) {
    siginfo_t info = kernel::MakeSigInfo(sig, SI_TKILL, t.tgid(), t.creds().ruid);
    kernel::SendThreadSignal(*target, info);
  }
  return {};
}

}  // namespace

SysResult<void> sys_tgkill(Task& t, pid_t tgid, pid_t tid, int sig) {
  return ThreadKill(t, tgid, tid, sig);
}

SysResult<void> sys_tkill(Task& t, pid_t tid, int sig) { return ThreadKill(t, -1, tid, sig); }

SysResult<int> sys_rt_sigtimedwait(Task& t, UserPtr<SigSet> set, UserPtr<siginfo_t> uinfo,
                                   UserPtr<timespec> timeout, size_t sigsetsize) {
  if (sigsetsize != sizeof(SigSet)) return Err(Errno::kEINVAL);
  SigSet wanted = TRY(t.CopyIn(set)) & ~kernel::kUnblockable;
  timespec deadline{};
  const timespec* dl = nullptr;
  if (!timeout.null()) {
    timespec rel = TRY(t.CopyIn(timeout));
    if (rel.tv_sec < 0 || rel.tv_nsec < 0 || rel.tv_nsec >= 1000000000) return Err(Errno::kEINVAL);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += rel.tv_sec;
    deadline.tv_nsec += rel.tv_nsec;
    if (deadline.tv_nsec >= 1000000000) {
      deadline.tv_sec++;
      deadline.tv_nsec -= 1000000000;
    }
    dl = &deadline;
  }
  // While waiting, the wanted signals are unblocked so that they wake us
  // (sigtimedwait(2)); they are then taken without running a handler.
  SigSet saved = t.sigmask;
  t.sigmask &= ~wanted;
  t.real_blocked = saved;
  siginfo_t info;
  while (true) {
    if (t.pending.Dequeue(wanted, &info) || t.tg().pending.Dequeue(wanted, &info)) {
      t.sigmask = saved;
      t.real_blocked = 0;
      if (!uinfo.null()) TRY(t.CopyOut(uinfo, info));
      return info.si_signo;
    }
    auto r = t.Block(dl);
    if (!r) {
      t.sigmask = saved;
      t.real_blocked = 0;
      if (r.error() == Errno::kETIMEDOUT) return Err(Errno::kEAGAIN);
      // Interrupted by a signal not in the set.
      if (!((t.pending.set | t.tg().pending.set) & wanted)) return Err(Errno::kEINTR);
      t.sigmask &= ~wanted;
      t.real_blocked = saved;
    }
  }
}

SysResult<void> sys_rt_sigqueueinfo(Task& t, pid_t tgid, int sig, UserPtr<siginfo_t> uinfo) {
  if (!ValidSignal(sig)) return Err(Errno::kEINVAL);
  siginfo_t info = TRY(t.CopyIn(uinfo));
  // Only the kernel may send SI_USER/SI_KERNEL-coded info to other processes.
  if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tgid != t.tgid()) return Err(Errno::kEPERM);
  info.si_signo = sig;
  auto tg = t.kernel().ThreadGroupByPid(tgid);
  if (!tg || tg->zombie) return Err(Errno::kESRCH);
  if (!MaySignal(t, *tg)) return Err(Errno::kEPERM);
  kernel::SendGroupSignal(*tg, info);
  return {};
}

SysResult<void> sys_rt_tgsigqueueinfo(Task& t, pid_t tgid, pid_t tid, int sig,
                                      UserPtr<siginfo_t> uinfo) {
  if (!ValidSignal(sig) || tid <= 0 || tgid <= 0) return Err(Errno::kEINVAL);
  siginfo_t info = TRY(t.CopyIn(uinfo));
  if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tgid != t.tgid()) return Err(Errno::kEPERM);
  info.si_signo = sig;
  Task* target = t.kernel().TaskByTid(tid);
  if (target == nullptr || target->tgid() != tgid) return Err(Errno::kESRCH);
  if (!MaySignal(t, target->tg())) return Err(Errno::kEPERM);
  kernel::SendThreadSignal(*target, info);
  return {};
}

}  // namespace bulwark::syscalls
