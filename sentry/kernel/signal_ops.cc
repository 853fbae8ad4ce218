#include "sentry/kernel/signal_ops.h"

#include <cstring>

#include "base/log.h"

namespace bulwark::kernel {

siginfo_t MakeSigInfo(int sig, int code, pid_t pid, uid_t uid) {
  siginfo_t info;
  std::memset(&info, 0, sizeof(info));
  info.si_signo = sig;
  info.si_code = code;
  info.si_pid = pid;
  info.si_uid = uid;
  return info;
}

namespace {

bool HandlerIsDefault(const ThreadGroup& tg, int sig) {
  return tg.handlers->actions[sig].handler == reinterpret_cast<uint64_t>(SIG_DFL);
}

// sig_ignored(): the signal would be discarded on delivery anyway. A
// signal that `target` blocks is never ignored at generation: it is queued,
// and discarded at delivery only if still ignored then (kernel/signal.c).
bool Ignored(const ThreadGroup& tg, int sig, const Task* target) {
  if (target != nullptr && ((target->sigmask | target->real_blocked) & SigBit(sig))) return false;
  uint64_t h = tg.handlers->actions[sig].handler;
  if (h == reinterpret_cast<uint64_t>(SIG_IGN)) return true;
  return h == reinterpret_cast<uint64_t>(SIG_DFL) &&
         DefaultActionOf(sig) == DefaultAction::kIgnore;
}

// Init drops signals for which it has no handler (kernel/signal.c,
// sig_task_ignored with SIGNAL_UNKILLABLE), wherever they come from; only
// SIGKILL and SIGSTOP from outside its pid namespace (the host, via the
// runtime) get through (pid_namespaces(7)). So `kill ID TERM` does not stop
// a handler-less init, as under runc: clients escalate to SIGKILL.
bool InitProtected(const ThreadGroup& tg, int sig, SignalSource source) {
  if (source == SignalSource::kCreatedInit) return false;
  if (source == SignalSource::kOutside && (sig == SIGKILL || sig == SIGSTOP)) return false;
  // A blocked signal is queued (sig_ignored() checks the mask first).
  // TODO(#4): Linux then discards it at delivery if the handler is still
  // SIG_DFL (get_signal, SIGNAL_UNKILLABLE); here it would take effect.
  if (!tg.tasks.empty() && (tg.tasks.front()->sigmask & SigBit(sig))) return false;
  // Init is pid 1 (AllocPid wraps to 300); processes started by the
  // control channel's exec have no parent either, but no protection.
  if (tg.parent != nullptr || tg.tgid != 1) return false;
  return HandlerIsDefault(tg, sig);
}

// Side effects at send time: SIGCONT discards pending stop signals and vice
// versa (signal(7)); SIGKILL tears the group down at once.
bool PrepareSignal(ThreadGroup& tg, int sig) {
  if (sig == SIGKILL) {
    GroupExit(tg, SIGKILL);
    return false;
  }
  constexpr SigSet kStops = SigBit(SIGSTOP) | SigBit(SIGTSTP) | SigBit(SIGTTIN) | SigBit(SIGTTOU);
  if (sig == SIGCONT) {
    for (int s : {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}) {
      tg.pending.Discard(s);
      for (Task* t : tg.tasks) t->pending.Discard(s);
    }
    // SIGCONT resumes a stopped process when sent, even if it is blocked or
    // ignored (prepare_signal): every thread leaves the stop.
    if (tg.group_stopped) {
      tg.group_stopped = false;
      tg.stopped_report = false;
      tg.continued_report = true;
      for (Task* t : tg.tasks) t->Kick();
      NotifyParent(tg, CLD_CONTINUED, SIGCONT);
    }
  } else if (SigBit(sig) & kStops) {
    tg.pending.Discard(SIGCONT);
    for (Task* t : tg.tasks) t->pending.Discard(SIGCONT);
  }
  return true;
}

}  // namespace

void SendGroupSignal(ThreadGroup& tg, const siginfo_t& info, SignalSource source) {
  int sig = info.si_signo;
  if (tg.zombie || tg.exiting) return;
  if (InitProtected(tg, sig, source)) return;
  if (!PrepareSignal(tg, sig)) return;
  // Ignored signals are dropped unless the leader (the thread kill(2)
  // names) blocks them: then they stay pending, as in Linux.
  if (Ignored(tg, sig, tg.Leader())) return;
  tg.pending.Enqueue(info);
  tg.signalfd_waiters.Notify();  // signalfd(2) pollers
  // Wake a thread that can take it; prefer the leader (complete_signal).
  // Any thread that does not block it may dequeue it; a pick that blocks it
  // later is corrected by RetargetGroupSignals.
  for (Task* t : tg.tasks) {
    if (!(t->sigmask & SigBit(sig)) && !t->exiting) {
      t->Kick();
      return;
    }
  }
}

void RetargetGroupSignals(ThreadGroup& tg) {
  SigSet left = tg.pending.set;
  for (Task* t : tg.tasks) {
    if (left == 0) return;
    if (t->exiting) continue;
    SigSet takes = left & ~t->sigmask;
    if (takes == 0) continue;
    t->Kick();
    left &= ~takes;
  }
}

void SendThreadSignal(Task& t, const siginfo_t& info, SignalSource source) {
  ThreadGroup& tg = t.tg();
  int sig = info.si_signo;
  if (tg.zombie || tg.exiting) return;
  if (InitProtected(tg, sig, source)) return;
  if (!PrepareSignal(tg, sig)) return;
  if (Ignored(tg, sig, &t)) return;
  t.SendSignal(info);
}

void ForceSignal(Task& t, const siginfo_t& info) {
  int sig = info.si_signo;
  KSigAction& act = t.tg().handlers->actions[sig];
  bool blocked = (t.sigmask & SigBit(sig)) != 0;
  if (blocked || act.handler == reinterpret_cast<uint64_t>(SIG_IGN)) {
    act.handler = reinterpret_cast<uint64_t>(SIG_DFL);
    t.sigmask &= ~SigBit(sig);
  }
  t.pending.Enqueue(info);
  t.Kick();
}

void GroupExit(ThreadGroup& tg, int wait_status) {
  if (tg.exiting) return;
  tg.exiting = true;
  tg.wait_status = wait_status;
  for (Task* t : tg.tasks) t->Kick();
}

void NotifyParent(ThreadGroup& child, int code, int status) {
  ThreadGroup* parent = child.parent;
  if (parent == nullptr) return;
  int sig = code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED ? child.exit_signal
                                                                           : SIGCHLD;
  if (sig > 0) {
    siginfo_t info = MakeSigInfo(sig, code, child.tgid, 0);
    info.si_status = status;
    SendGroupSignal(*parent, info, SignalSource::kOutside);
  }
  parent->child_events.Notify();
}

}  // namespace bulwark::kernel
