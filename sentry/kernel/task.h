// Task: one application thread, run by one sentry host thread.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/fd_table.h"
#include "sentry/kernel/fs_context.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/signals.h"
#include "sentry/kernel/spin_wait.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/kernel/user_ptr.h"
#include "sentry/mm/mm.h"

namespace bulwark::kernel {

class Kernel;
struct NsProxy;  // kernel/namespaces.h

// Every field and method is guarded by the kernel lock unless noted.
class Task {
 public:
  Task(Kernel& kernel, pid_t tid, std::shared_ptr<ThreadGroup> tg);
  ~Task();

  Kernel& kernel() const { return kernel_; }
  ThreadGroup& tg() const { return *tg_; }
  const std::shared_ptr<ThreadGroup>& tg_ptr() const { return tg_; }
  pid_t tid() const { return tid_; }
  pid_t tgid() const { return tg_->tgid; }

  mm::MemoryManager& mm() const { return *mm_; }
  FdTable& fds() const { return *fds_; }
  FsContext& fs() const { return *fs_; }
  Credentials& creds() { return creds_; }
  const Credentials& creds() const { return creds_; }
  platform::Registers& regs() { return regs_; }
  // FP state staged for the platform context: read it with
  // context->GetFpState when needed; set fp_dirty after changing it so the
  // run loop hands it to the context before the next Switch.
  platform::FpState& fp() { return fp_; }
  bool fp_dirty = false;

  // --- Application memory ---
  SysResult<void> CopyInBytes(uint64_t addr, void* dst, size_t len) const {
    return mm_->CopyIn(addr, dst, len);
  }
  SysResult<void> CopyOutBytes(uint64_t addr, const void* src, size_t len) {
    return mm_->CopyOut(addr, src, len);
  }
  template <typename T>
  SysResult<T> CopyIn(UserPtr<T> p) const {
    static_assert(std::is_trivially_copyable_v<T>);
    T v;
    TRY(mm_->CopyIn(p.addr, &v, sizeof(T)));
    return v;
  }
  template <typename T>
  SysResult<void> CopyOut(UserPtr<T> p, const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return mm_->CopyOut(p.addr, &v, sizeof(T));
  }
  // Path-like strings: at most PATH_MAX bytes including the NUL.
  SysResult<std::string> CopyInPath(UserCString s) const;
  SysResult<std::string> CopyInString(UserCString s, size_t max) const {
    return mm_->CopyInString(s.addr, max);
  }

  // --- Blocking ---
  // Releases the kernel lock and waits until Wake(), `deadline` (absolute
  // CLOCK_MONOTONIC, nullptr = none), or an unblocked pending signal or
  // exit. Returns ok on Wake, ETIMEDOUT at the deadline, ERESTARTSYS when
  // interrupted (the syscall layer turns it into EINTR or a restart).
  // Preconditions: kernel lock held; the caller registered with the wait
  // queues it waits on and re-checks its condition after return.
  SysResult<void> Block(const timespec* deadline);
  // Makes Block() return. Called with the kernel lock held.
  void Wake();
  // Releases the kernel lock until Wake() or Kick() (or a spurious
  // wake-up), ignoring signals: for waits only a kill or a specific event
  // ends (group stop, execve waiting for the other threads). The caller
  // loops on its condition. Precondition: kernel lock held.
  void WaitForEvent();
  // Runs `f` with the kernel lock released (for blocking host calls).
  template <typename F>
  auto Unlocked(F&& f) -> decltype(f());
  // True if a signal that is not blocked is pending, the task is exiting,
  // or its group is stopping and it has not stopped yet.
  bool Interrupted() const;

  // --- Signals ---
  SigSet sigmask = 0;
  // The mask before rt_sigtimedwait unblocked the signals it waits for
  // (Linux's real_blocked): still counts as blocked for sig_ignored().
  SigSet real_blocked = 0;
  SigSet saved_sigmask = 0;  // restored after sigsuspend/ppoll/pselect
  bool restore_saved_sigmask = false;
  PendingSignals pending;  // thread-directed
  stack_t altstack{nullptr, SS_DISABLE, 0};

  // Queues a signal for this thread and wakes/interrupts it.
  void SendSignal(const siginfo_t& info);
  // Makes the task notice a pending signal or exit: wakes it if blocked,
  // interrupts its platform context if it is running application code.
  void Kick();

  // ERESTART* code of the syscall just handled, until signal handling
  // decides between a restart and EINTR; 0 if none.
  int syscall_restart = 0;
  // restart_syscall(2): set by a syscall that returns ERESTART_RESTARTBLOCK
  // (e.g. a futex wait with a timeout); run by restart_syscall when the
  // syscall is restarted without a handler (the app re-enters through
  // __NR_restart_syscall, as Linux's restart_block).
  std::function<SysResult<uint64_t>(Task&)> restart_block;
  // This thread has stopped for its group's stop (DoGroupStop).
  bool group_stop_done = false;

  // --- Thread state ---
  uint64_t clear_child_tid = 0;  // set_tid_address / CLONE_CHILD_CLEARTID
  uint64_t robust_list = 0, robust_list_len = 0;
  std::string comm;  // PR_SET_NAME, 15 bytes max
  int pdeathsig = 0;          // PR_SET_PDEATHSIG; cleared in fork children
  bool no_new_privs = false;  // PR_SET_NO_NEW_PRIVS; inherited, kept across exec
  SeccompState seccomp;       // seccomp(2); inherited, kept across exec
  // personality(2); inherited, kept across exec but for READ_IMPLIES_EXEC.
  uint32_t personality = 0;  // PER_LINUX
  // sched_setaffinity mask, bit n = CPU n; empty = every CPU. Inherited.
  std::vector<uint64_t> cpu_affinity;
  // This thread is leaving its run loop: exit(2), or killed by execve's
  // de_thread (exit_group and fatal signals set ThreadGroup::exiting).
  bool exiting = false;
  int exit_code = 0;     // for exit(2) of a single thread
  // vfork parent to release at exec or exit.
  std::shared_ptr<ThreadGroup> vfork_parent;
  bool vfork_done = false;

  // Swapped by clone/execve/unshare.
  std::shared_ptr<mm::MemoryManager> mm_;
  // unshare(2)/setns(2); null: the sandbox's root namespaces (see
  // kernel/namespaces.h NamespacesOf). Shared with clone children.
  std::shared_ptr<NsProxy> nsproxy;
  std::shared_ptr<FdTable> fds_;
  std::shared_ptr<FsContext> fs_;

  // Run loop (task_run.cc): the body of the task's host thread.
  void Run();
  // The platform context; created on the task's thread.
  std::unique_ptr<platform::Context> context;
  // Set while the task runs application code (Kick interrupts it).
  std::atomic<bool> in_app{false};

  // CPU time accounting (kernel/rusage.h): time in application code and
  // in the sentry on this task's behalf; blocking waits count neither.
  uint64_t utime_ns = 0, stime_ns = 0;
  // CLOCK_MONOTONIC when the current stretch of sentry time began; 0 while
  // the task is blocked or not yet running.
  int64_t cpu_mark_ns = 0;
  // getrusage(2) ru_nvcsw: blocking waits (voluntary context switches).
  uint64_t nvcsw = 0;

  // sched_setscheduler(2)/sched_setattr(2) and prctl(PR_SET_TIMERSLACK):
  // recorded and reported, not applied (sched.cc). Inherited by clone.
  struct SchedState {
    int policy = SCHED_OTHER;
    int priority = 0;  // sched_priority: 1..99 for SCHED_FIFO/RR, else 0
    bool reset_on_fork = false;
    uint64_t timer_slack_ns = 50000;
    uint64_t default_timer_slack_ns = 50000;  // restored by PR_SET_TIMERSLACK 0
  };
  SchedState sched;

 private:
  friend class Kernel;  // RenameTask
  Kernel& kernel_;
  pid_t tid_;
  std::shared_ptr<ThreadGroup> tg_;
  Credentials creds_;
  platform::Registers regs_;
  platform::FpState fp_;
  std::condition_variable cv_;
  bool woken_ = false;
  // Bumped by Wake() and Kick(): what a Block() that spins polls.
  std::atomic<uint32_t> wake_seq_{0};
  // How long Block() spins before sleeping (kernel/spin_wait.h): the full
  // budget after a short wait, halved after each long one.
  int64_t block_spin_ns_ = kBlockSpinNs;
};

}  // namespace bulwark::kernel

#include "sentry/kernel/kernel.h"

namespace bulwark::kernel {

template <typename F>
auto Task::Unlocked(F&& f) -> decltype(f()) {
  kernel_.mu.unlock();
  struct Relock {
    Kernel& k;
    ~Relock() { k.mu.lock(); }
  } relock{kernel_};
  return f();
}

}  // namespace bulwark::kernel
