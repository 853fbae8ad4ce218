// Thin wrappers over ptrace(2) and waitpid(2) used by the ptrace platform.
//
// Preconditions for every Ptrace* call: the caller is the tracer thread of
// `tid`, and `tid` is in a ptrace-stop.
#pragma once

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "base/errno.h"
#include "base/result.h"

namespace bulwark::platform::ptrace_impl {

// Memory file fd number inside every stub.
inline constexpr int kStubMemoryFd = 3;
// Application mappings lie below this; the stub page lies at or above it.
inline constexpr uint64_t kMaxUserAddress = 0x7ff000000000;
// TASK_SIZE on amd64 with 4-level paging: the stub unmaps up to here.
inline constexpr uint64_t kTaskSize = 0x7ffffffff000;
inline constexpr uint64_t kPageSize = 4096;
// Signal used by Context::Interrupt() to kick a running stub thread.
inline constexpr int kInterruptSignal = SIGUSR2;
// Stop status of a syscall stop under PTRACE_O_TRACESYSGOOD.
inline constexpr int kSyscallStopSignal = SIGTRAP | 0x80;

inline SysResult<void> PtraceRequest(enum __ptrace_request request, pid_t tid, void* addr,
                                     void* data) {
  // SAFETY: every caller passes a `data` that points to a buffer of the size
  // the request writes or reads (user_regs_struct, user_fpregs_struct,
  // siginfo_t), or a signal number / option bits for the requests that take
  // an integer.
  if (::ptrace(request, tid, addr, data) == -1) return Err(HostErrno());
  return {};
}

inline SysResult<void> PtraceGetRegs(pid_t tid, user_regs_struct& regs) {
  return PtraceRequest(PTRACE_GETREGS, tid, nullptr, &regs);
}

inline SysResult<void> PtraceSetRegs(pid_t tid, const user_regs_struct& regs) {
  // SAFETY: PTRACE_SETREGS only reads *data.
  return PtraceRequest(PTRACE_SETREGS, tid, nullptr, const_cast<user_regs_struct*>(&regs));
}

// `fxsave` is the 512-byte legacy FXSAVE area (struct user_fpregs_struct).
inline SysResult<void> PtraceGetFpRegs(pid_t tid, void* fxsave) {
  static_assert(sizeof(user_fpregs_struct) == 512);
  return PtraceRequest(PTRACE_GETFPREGS, tid, nullptr, fxsave);
}

inline SysResult<void> PtraceSetFpRegs(pid_t tid, const void* fxsave) {
  // SAFETY: PTRACE_SETFPREGS only reads 512 bytes from *data.
  return PtraceRequest(PTRACE_SETFPREGS, tid, nullptr, const_cast<void*>(fxsave));
}

inline SysResult<void> PtraceGetSiginfo(pid_t tid, siginfo_t& info) {
  return PtraceRequest(PTRACE_GETSIGINFO, tid, nullptr, &info);
}

// Resumes `tid` with `request` (PTRACE_SYSEMU, PTRACE_CONT) and no signal:
// a signal that caused the current stop is suppressed.
inline SysResult<void> PtraceResume(enum __ptrace_request request, pid_t tid) {
  return PtraceRequest(request, tid, nullptr, nullptr);
}

// Waits for the next ptrace-stop or the death of `tid`, retrying on EINTR.
// Returns the wait status (WIFSTOPPED, WIFEXITED or WIFSIGNALED).
inline SysResult<int> WaitTracee(pid_t tid) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(tid, &status, __WALL);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) return Err(HostErrno());
    if (WIFSTOPPED(status) || WIFEXITED(status) || WIFSIGNALED(status)) return status;
  }
}

// Kills the stub process behind `pidfd` and reaps it. Safe on any thread of
// the sentry (the stub is a child of this thread group), and immune to pid
// reuse: if someone else already reaped the stub, this does nothing.
inline void KillAndReap(int pidfd) {
  // SAFETY: raw pidfd_send_signal and waitid(P_PIDFD) on a pidfd we own.
  ::syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  for (;;) {
    siginfo_t info{};
    int r = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info,
                     WEXITED | __WALL);
    if (r == -1 && errno == EINTR) continue;
    return;  // reaped, or ECHILD: already reaped
  }
}

}  // namespace bulwark::platform::ptrace_impl
