// ThreadGroup: a process (its threads share pid, signal handlers, rlimits).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sentry/kernel/signals.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/mount.h"

namespace bulwark::kernel {

class Task;
struct ProcessTimers;  // sentry/kernel/timers.h

// getrusage(2) fields other than the CPU times.
struct ResourceCounts {
  uint64_t minflt = 0, majflt = 0, nvcsw = 0, nivcsw = 0;
  uint64_t maxrss_kb = 0;  // high-water mark: combined by max, not sum
  void Add(const ResourceCounts& o) {
    minflt += o.minflt;
    majflt += o.majflt;
    nvcsw += o.nvcsw;
    nivcsw += o.nivcsw;
    if (o.maxrss_kb > maxrss_kb) maxrss_kb = o.maxrss_kb;
  }
};

struct Rlimit {
  uint64_t cur = RLIM_INFINITY, max = RLIM_INFINITY;
};

// Guarded by the kernel lock.
class ThreadGroup {
 public:
  explicit ThreadGroup(pid_t tgid) : tgid(tgid), pgid(tgid), sid(tgid) {}

  const pid_t tgid;
  pid_t pgid, sid;
  // nullptr only for init. Children are reparented to init when this exits.
  ThreadGroup* parent = nullptr;
  std::vector<std::shared_ptr<ThreadGroup>> children;
  std::vector<Task*> tasks;  // live threads

  std::shared_ptr<SignalHandlers> handlers = std::make_shared<SignalHandlers>();
  PendingSignals pending;  // process-directed
  int exit_signal = SIGCHLD;  // sent to the parent on exit

  std::array<Rlimit, RLIM_NLIMITS> rlimits{};
  // setpriority(2) nice value, -20..19; inherited by fork children. Linux
  // keeps it per thread; here a process shares one.
  int nice = 0;
  bool child_subreaper = false;  // PR_SET_CHILD_SUBREAPER; not inherited

  // Exit state. `exiting`: exit_group or a fatal signal is tearing it down.
  bool exiting = false;
  bool zombie = false;          // all threads gone, not yet reaped
  int wait_status = 0;          // as wait(2) reports it
  bool group_stopped = false;   // SIGSTOP & co: threads wait for SIGCONT
  int stop_signal = 0;
  bool stopped_report = false;  // unreported stop for WUNTRACED
  bool continued_report = false;

  // Children's state changes (parent's wait4/waitid wait here).
  WaitQueue child_events;
  // vfork parents wait here for the child's exec or exit.
  WaitQueue vfork_done;
  // Signalfds polled for this process's pending signals wait here; every
  // signal queued on the process or one of its threads notifies it.
  WaitQueue signalfd_waiters;
  // setitimer/alarm and timer_create timers; created on first use, not
  // inherited by fork children.
  std::shared_ptr<ProcessTimers> timers;
  // Notified when a thread leaves `tasks` (execve waits for the others).
  WaitQueue thread_exited;
  // The thread running execve's de_thread, or null: the other threads are
  // being killed, and no other exec may start.
  Task* exec_task = nullptr;

  // The executable, for /proc/<pid>/exe.
  vfs::Path exe;
  // Denies writes to `exe` until the process exits or execs again (Linux:
  // mm->exe_file); shared with fork children.
  std::shared_ptr<vfs::WriteDenial> exe_deny;
  // CPU time of exited threads and of waited-for children, in ns.
  uint64_t utime_ns = 0, stime_ns = 0, cutime_ns = 0, cstime_ns = 0;
  // getrusage(2) counters other than CPU time (kernel/rusage.h): this
  // process's (exited threads' context switches), and its waited-for
  // children's. rss_pages_seen: resident pages at the last memory sample
  // (~0 = none since the last exec).
  ResourceCounts counts, ccounts;
  uint64_t rss_pages_seen = ~uint64_t{0};
  // Has called execve since fork: setpgid(2) on it fails with EACCES.
  bool did_exec = false;
  int64_t start_time_ns = 0;  // CLOCK_MONOTONIC at creation

  Task* Leader() const { return tasks.empty() ? nullptr : tasks.front(); }
};

}  // namespace bulwark::kernel
