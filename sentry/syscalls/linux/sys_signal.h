#pragma once

#include <signal.h>

#include "sentry/kernel/signals.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_rt_sigaction(Task& t, int sig, UserPtr<kernel::KSigAction> act,
                                 UserPtr<kernel::KSigAction> oact, size_t sigsetsize);
SysResult<void> sys_rt_sigprocmask(Task& t, int how, UserPtr<kernel::SigSet> set,
                                   UserPtr<kernel::SigSet> oset, size_t sigsetsize);
SysResult<uint64_t> sys_rt_sigreturn(Task& t);
SysResult<void> sys_rt_sigpending(Task& t, UserPtr<kernel::SigSet> set, size_t sigsetsize);
SysResult<int> sys_rt_sigsuspend(Task& t, UserPtr<kernel::SigSet> mask, size_t sigsetsize);
SysResult<int> sys_pause(Task& t);
SysResult<void> sys_sigaltstack(Task& t, UserPtr<stack_t> ss, UserPtr<stack_t> oss);
SysResult<void> sys_kill(Task& t, pid_t pid, int sig);
SysResult<void> sys_tgkill(Task& t, pid_t tgid, pid_t tid, int sig);
SysResult<void> sys_tkill(Task& t, pid_t tid, int sig);
SysResult<int> sys_rt_sigtimedwait(Task& t, UserPtr<kernel::SigSet> set, UserPtr<siginfo_t> info,
                                   UserPtr<timespec> timeout, size_t sigsetsize);
SysResult<void> sys_rt_sigqueueinfo(Task& t, pid_t tgid, int sig, UserPtr<siginfo_t> info);
SysResult<void> sys_rt_tgsigqueueinfo(Task& t, pid_t tgid, pid_t tid, int sig,
                                      UserPtr<siginfo_t> info);

// kill(2) permission: a privileged sender, or real/effective uid matching
// the target's real/saved uid (check_kill_permission).
bool MaySignal(const Task& sender, const kernel::ThreadGroup& target);

}  // namespace bulwark::syscalls
