// Stub processes: the host processes that hold application address spaces.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "platform/ptrace/vdso.h"

namespace bulwark::platform::ptrace_impl {

// The stub code page (stub_amd64.S), mapped at the same address in the
// sentry and in every stub, at or above kMaxUserAddress.
struct StubPage {
  uint64_t addr = 0;          // start of the page; also the entry point
  uint64_t syscall_addr = 0;  // the injection point: `syscall; int3`
  uint64_t trap_addr = 0;     // rip at the SIGTRAP stop after an injected syscall
  uint64_t park_addr = 0;     // the park loop: `pause` forever
  uint64_t clone_addr = 0;    // the clone injection point (see stub_amd64.S)
  uint64_t clone_trap_addr = 0;  // rip at the SIGTRAP stop of clone's caller
  // The host's vDSO, which every stub moves to [addr + kPageSize,
  // addr + kPageSize + vdso.len) (vdso.h); the sentry reserves that range.
  StubVdso vdso;
};

struct Mapping {
  uint64_t start = 0;
  uint64_t end = 0;
};

// The lowest page-aligned address in [kMaxUserAddress, kTaskSize) from
// which `len` bytes are covered by no mapping in `maps`, or 0. Taking the
// lowest gap keeps the page next to the highest mmap'd region, far from the
// main thread's stack, which the kernel's mmap_base leaves room below.
// (Exposed for tests.)
uint64_t FindStubAddress(std::vector<Mapping> maps, uint64_t len = 4096);

// Maps the stub page into the sentry once per process and returns it: at
// kMaxUserAddress or a few hints above, else at FindStubAddress of
// /proc/self/maps; with a PROT_NONE reservation for the vDSO right above.
// Thread-safe; the page is never unmapped.
SysResult<StubPage> GetStubPage();

struct Stub {
  pid_t pid = 0;
  UniqueFd pidfd;  // of the process; see KillAndReap
};

// Forks a stub process from the calling thread, which becomes its parent
// and tracer. On success the stub has unmapped everything but the stub page
// and the host vDSO it moved right above it (page.vdso),
// holds `memory_file_fd` as kStubMemoryFd and no other fd, ignores every
// signal that can be ignored (SIG_IGN: a signal left pending on an untraced,
// parked thread is discarded; a traced thread still stops for it, see
// sig_ignored() in kernel/signal.c), has no capabilities and, unless
// BULWARK_SECCOMP=off, the stub seccomp filter (stub_seccomp.h), is in a
// signal-delivery-stop for SIGSTOP, and has PTRACE_O_EXITKILL |
// PTRACE_O_TRACESYSGOOD set.
// The PR_SET_PDEATHSIG(SIGKILL) of the stub is tied to the calling thread:
// call it from a thread that lives as long as the stub should (the stub
// factory, factory.h) or kill the stub before the thread exits.
SysResult<Stub> ForkStub(const StubPage& page, int memory_file_fd);

// The stub thread `tid` (stopped, traced by the caller) inherited the FPU,
// SSE, AVX and other XSAVE state of the sentry thread that forked it, which
// may hold sentry data: puts every component in its initial state
// (FpState::Reset for the legacy area).
SysResult<void> ResetExtendedState(pid_t tid);

// Tracing steps on one stub thread `tid`. Unless said otherwise the caller
// traces `tid`, which is in a ptrace-stop. `reaped` is set when a wait
// reported the thread's exit (its tid must then not be waited for again);
// every failure means the stub is dying or not running our code.

// Becomes the tracer of the untraced thread `tid` (PTRACE_SEIZE with
// PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD). Does not stop it.
SysResult<void> SeizeThread(pid_t tid);
// Stops the seized, running thread `tid` (PTRACE_INTERRUPT) and waits for
// that PTRACE_EVENT_STOP, suppressing signal-delivery stops on the way.
// Where it stopped does not matter: callers set every register before the
// next resume.
SysResult<void> InterruptStop(pid_t tid, bool& reaped);
// Sets `regs` (with orig_rax = -1: no host syscall restart) and continues
// until the SIGTRAP stop at `trap_addr`; returns rax there. Signals sent by
// other processes (stale interrupts) are suppressed on the way.
SysResult<uint64_t> RunInjected(pid_t tid, user_regs_struct regs, uint64_t trap_addr,
                                bool& reaped);
// Registers for the clone injection that spawns a thread into the park loop.
user_regs_struct CloneRegs(const user_regs_struct& inject_regs, const StubPage& page);
// Sends the thread to the park loop and detaches from it (signal 0).
SysResult<void> ParkThread(pid_t tid, user_regs_struct inject_regs, const StubPage& page);

}  // namespace bulwark::platform::ptrace_impl
