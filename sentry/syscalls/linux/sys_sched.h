// Scheduling: sched_yield(2), policies (sched(7)), CPU affinity, nice
// values, getcpu(2).
#pragma once

#include <sched.h>
#include <sys/resource.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

// CPUs of the sandbox: KernelOptions::num_cpus, or the host's online CPUs
// (read at program start).
int SandboxCpuCount(kernel::Kernel& k);

SysResult<void> sys_sched_yield(Task& t);
SysResult<int> sys_sched_getaffinity(Task& t, pid_t pid, unsigned len, UserPtr<uint8_t> mask);
SysResult<void> sys_sched_setaffinity(Task& t, pid_t pid, unsigned len, UserPtr<uint8_t> mask);
SysResult<int> sys_getpriority(Task& t, int which, int who);
SysResult<void> sys_setpriority(Task& t, int which, int who, int niceval);
SysResult<void> sys_sched_getparam(Task& t, pid_t pid, UserPtr<sched_param> param);
SysResult<int> sys_sched_getscheduler(Task& t, pid_t pid);
SysResult<void> sys_sched_setscheduler(Task& t, pid_t pid, int policy, UserPtr<sched_param> param);
SysResult<void> sys_sched_setparam(Task& t, pid_t pid, UserPtr<sched_param> param);
SysResult<void> sys_sched_rr_get_interval(Task& t, pid_t pid, UserPtr<timespec> interval);
SysResult<void> sys_sched_setattr(Task& t, pid_t pid, UserPtr<uint8_t> uattr, unsigned flags);
SysResult<void> sys_sched_getattr(Task& t, pid_t pid, UserPtr<uint8_t> uattr, unsigned size,
                                  unsigned flags);
// clone: the child's scheduling state (policy, SCHED_RESET_ON_FORK, timer
// slack). Call after the child's thread group is set up.
void InheritSchedState(const kernel::Task& parent, kernel::Task& child);
SysResult<int> sys_sched_get_priority_max(Task& t, int policy);
SysResult<int> sys_sched_get_priority_min(Task& t, int policy);
SysResult<void> sys_getcpu(Task& t, UserPtr<unsigned> cpu, UserPtr<unsigned> node,
                           uint64_t tcache);

}  // namespace bulwark::syscalls
