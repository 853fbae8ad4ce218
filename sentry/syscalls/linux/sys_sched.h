// Scheduling: sched_yield(2), CPU affinity, nice values, getcpu(2).
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
SysResult<int> sys_sched_get_priority_max(Task& t, int policy);
SysResult<int> sys_sched_get_priority_min(Task& t, int policy);
SysResult<void> sys_getcpu(Task& t, UserPtr<unsigned> cpu, UserPtr<unsigned> node,
                           uint64_t tcache);

}  // namespace bulwark::syscalls
