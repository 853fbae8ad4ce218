#pragma once

#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<pid_t> sys_clone(Task& t, uint64_t flags, uint64_t stack, UserPtr<pid_t> parent_tid,
                           UserPtr<pid_t> child_tid, uint64_t tls);
SysResult<pid_t> sys_clone3(Task& t, UserPtr<uint8_t> args, size_t size);
SysResult<pid_t> sys_fork(Task& t);
SysResult<pid_t> sys_vfork(Task& t);
SysResult<void> sys_execve(Task& t, UserCString path, UserPtr<uint64_t> argv,
                           UserPtr<uint64_t> envp);
SysResult<void> sys_execveat(Task& t, GuestFd dirfd, UserCString path, UserPtr<uint64_t> argv,
                             UserPtr<uint64_t> envp, int flags);
SysResult<void> sys_exit(Task& t, int code);
SysResult<void> sys_exit_group(Task& t, int code);
SysResult<pid_t> sys_wait4(Task& t, pid_t pid, UserPtr<int> status, int options,
                           UserPtr<struct rusage> rusage);
SysResult<void> sys_waitid(Task& t, int idtype, pid_t id, UserPtr<siginfo_t> info, int options,
                           UserPtr<struct rusage> rusage);
SysResult<pid_t> sys_getpid(Task& t);
SysResult<pid_t> sys_getppid(Task& t);
SysResult<pid_t> sys_gettid(Task& t);
SysResult<pid_t> sys_getpgid(Task& t, pid_t pid);
SysResult<pid_t> sys_getpgrp(Task& t);
SysResult<void> sys_setpgid(Task& t, pid_t pid, pid_t pgid);
SysResult<pid_t> sys_getsid(Task& t, pid_t pid);
SysResult<pid_t> sys_setsid(Task& t);

}  // namespace bulwark::syscalls
