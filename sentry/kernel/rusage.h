// Resource accounting: CPU time per task, and the getrusage(2) counters.
//
// CPU time is wall time measured with CLOCK_MONOTONIC (a vDSO call, no host
// syscall) as gVisor does: user time is the time a task spends in
// Context::Switch (application code, including host-side page faults and
// the ptrace round trip), system time the rest of its time in the sentry,
// minus its blocking waits. A task whose host thread is preempted is still
// charged, as with tick-less wall-clock accounting.
//
// Page faults of application memory are served by the host kernel in the
// stub process, so the sentry sees none. ru_minflt is estimated instead from
// the address space's resident pages at each memory sample (getrusage,
// execve, process exit): pages that became resident since the previous
// sample count as minor faults (a lower bound of Linux's count: a page
// freed and touched again between samples counts once). ru_majflt is 0
// (no page cache misses are visible either); ru_nivcsw is 0 (host
// preemptions are not observed).
#pragma once

#include <cstdint>

#include "sentry/kernel/thread_group.h"

namespace bulwark::mm {
class MemoryFile;
class MemoryManager;
}  // namespace bulwark::mm

namespace bulwark::kernel {

class Task;

int64_t MonotonicNs();

struct CpuTime {
  uint64_t user = 0, sys = 0;  // ns
};
// Precondition (all below): kernel lock held.
CpuTime ThreadCpuTime(const Task& t);
// Live threads plus exited ones.
CpuTime ProcessCpuTime(const ThreadGroup& tg);
// Charges `t`'s sentry time up to now to stime (so that a task reading its
// own clock sees the syscall it is in). Precondition: on t's thread.
void ChargeSentryTime(Task& t);

// Marks a blocking wait of the task on this thread: the time blocked is
// neither user nor system time, and it counts as a voluntary context
// switch.
class OffCpu {
 public:
  explicit OffCpu(Task& t);
  ~OffCpu();
  OffCpu(const OffCpu&) = delete;
  OffCpu& operator=(const OffCpu&) = delete;

 private:
  Task& t_;
};

// Folds `mm`'s resident size into tg's maxrss and minflt (see above).
void SampleMemory(ThreadGroup& tg, const mm::MemoryManager& mm, const mm::MemoryFile& mf);
// The process's counters: exited threads' and the live threads'.
ResourceCounts ProcessCounts(const ThreadGroup& tg);
// A thread left its process (ExitTask: removed from tg.tasks, mm not yet
// dropped): its times and counters move to the process; the last thread
// samples memory.
void AccountThreadExit(Task& t);

}  // namespace bulwark::kernel
