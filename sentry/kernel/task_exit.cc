// Thread and process exit, reparenting, and zombies.
#include <sys/wait.h>

#include <algorithm>

#include "base/log.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task_internal.h"

namespace bulwark::kernel {

namespace {

bool ParentIgnoresChildren(const ThreadGroup& parent) {
  const KSigAction& a = parent.handlers->actions[SIGCHLD];
  return a.handler == reinterpret_cast<uint64_t>(SIG_IGN) || (a.flags & SA_NOCLDWAIT);
}

void ReleaseVforkParent(Task& t) {
  if (t.vfork_parent && !t.vfork_done) {
    t.vfork_done = true;
    t.vfork_parent->vfork_done.Notify();
  }
  t.vfork_parent.reset();
}

}  // namespace

void ReleaseThreadMm(Task& t) {
  if (!t.mm_) return;
  ExitRobustList(t);
  t.robust_list = 0;
  // mm_release: only when another task still uses the memory (a thread,
  // or a vfork parent) is anyone left to see the tid word.
  if (t.clear_child_tid != 0 && t.mm_.use_count() > 1) {
    uint32_t zero = 0;
    if (t.CopyOutBytes(t.clear_child_tid, &zero, sizeof(zero)))
      (void)FutexWake(t, t.clear_child_tid, /*shared=*/true, 1);
  }
  t.clear_child_tid = 0;
}

void ExitTask(Task& t) {
  Kernel& k = t.kernel();
  ThreadGroup& tg = t.tg();
  ReleaseVforkParent(t);
  ReleaseThreadMm(t);
  std::erase(tg.tasks, &t);
  AccountThreadExit(t);
  tg.thread_exited.Notify();
  // Process-directed signals this thread was chosen for go to another
  // thread (exit_signals / retarget_shared_pending).
  if (!tg.tasks.empty() && tg.pending.set != 0) RetargetGroupSignals(tg);
  if (!tg.exiting) {
    // exit(2) of the last thread ends the process with its code.
    tg.wait_status = (t.exit_code & 0xff) << 8;
  }
  // Drop the address space here: with ptrace its stub is traced by this
  // thread.
  t.mm_.reset();
  t.fds_.reset();
  t.fs_.reset();
  if (!tg.tasks.empty()) return;

  // Last thread: the process becomes a zombie; its executable is writable
  // again (exit_mm() drops mm->exe_file).
  tg.exe_deny.reset();
  tg.exiting = true;
  tg.zombie = true;
  tg.pending = PendingSignals{};
  ThreadGroup* init = k.init();
  // Orphans go to the nearest live ancestor that is a child subreaper,
  // else to init (prctl(2) PR_SET_CHILD_SUBREAPER).
  ThreadGroup* reaper = init;
  for (ThreadGroup* a = tg.parent; a != nullptr; a = a->parent) {
    if (a->child_subreaper && !a->exiting) {
      reaper = a;
      break;
    }
  }
  for (auto& child : tg.children) {
    // PR_SET_PDEATHSIG: the child asked for a signal when its parent dies.
    for (Task* ct : child->tasks)
      if (ct->pdeathsig != 0)
        SendThreadSignal(*ct, MakeSigInfo(ct->pdeathsig, SI_USER, tg.tgid, 0));
    if (reaper == nullptr || reaper == &tg) {
      child->parent = nullptr;
      continue;
    }
    child->parent = reaper;
    reaper->children.push_back(child);
    if (child->zombie) reaper->child_events.Notify();
  }
  tg.children.clear();
  if (&tg == init) {
    // Init is gone: the pid namespace dies (zap_pid_ns_processes).
    for (auto& [pid, other] : k.thread_groups())
      if (other.get() != &tg) GroupExit(*other, SIGKILL);
    return;
  }
  int status = tg.wait_status;
  int code = WIFSIGNALED(status) ? CLD_KILLED : CLD_EXITED;
  int child_status = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
  ThreadGroup* parent = tg.parent;
  if (parent != nullptr && ParentIgnoresChildren(*parent) && tg.exit_signal == SIGCHLD) {
    // Auto-reap (SA_NOCLDWAIT / SIGCHLD ignored): nothing to wait for.
    parent->child_events.Notify();
    std::erase_if(parent->children, [&](const auto& c) { return c.get() == &tg; });
    k.RemoveThreadGroup(tg.tgid);  // may destroy tg
    return;
  }
  NotifyParent(tg, code, child_status);
}

}  // namespace bulwark::kernel
