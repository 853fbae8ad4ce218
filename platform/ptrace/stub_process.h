// StubProcess: the host process holding one application address space, its
// threads, and which sentry thread traces which of them.
//
// Threads. The leader (the forked process itself) never runs application
// code: it is the spawner. Every application thread runs in a non-leader
// stub thread cloned by the leader (stub_amd64.S, clone entry). A stub
// thread is either parked (untraced, in the park loop) or claimed: traced by
// exactly one sentry thread (ptrace ties a tracee to one tracer thread),
// which then owns it for Switch and for injected mmap/munmap/mprotect.
//
// Claiming. A sentry thread that needs a stub thread in a process (first
// Switch into the address space, or MapFile/Unmap/Protect) claims a parked
// one (PTRACE_SEIZE + PTRACE_INTERRUPT), or has the leader spawn one and
// claims that. What each sentry thread traces is recorded in a thread_local
// registry; ReleaseHeld parks (PTRACE_DETACH into the park loop) or reaps
// what it holds, so no stub thread stays traced by a sentry thread that
// exits (PTRACE_O_EXITKILL would kill the whole stub).
//
// Death. Kill() sends SIGKILL to the process through its pidfd. Threads a
// sentry thread traces must be reaped by that tracer (waitpid(tid, __WALL));
// until they are, the process cannot be reaped. So Kill reaps the caller's
// own tracee, then reaps the process itself when no other sentry thread
// traces one of its threads, else hands it to the stub factory
// (FactoryReap), which reaps it once the other tracers have reaped theirs.
// Nothing here ever waits for another sentry thread's tracee.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "platform/ptrace/factory.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl {

class PtraceContext;

// The calling thread's host tid (cached).
pid_t CurrentTid();
// The CPU the calling sentry thread is pinned to, or -1 (not pinned, or
// pinning disabled). Defined in ptrace_platform.cc.
int PinnedCpu();
// Contexts pinned to each CPU: AddCpuUser(cpu, ±1) as one is created and
// destroyed; CpuExclusive(cpu): `cpu` has one and the sentry may use more
// than one CPU. Thread-safe. Defined in ptrace_platform.cc.
void AddCpuUser(int cpu, int delta);
bool CpuExclusive(int cpu);

struct StubThread {
  StubThread(pid_t tid, UniqueFd pidfd) : tid(tid), pidfd(std::move(pidfd)) {}

  const pid_t tid;
  // pidfd_open(tid, PIDFD_THREAD), for Interrupt from any sentry thread
  // without pid reuse races; invalid on kernels before 6.9 (tgkill then).
  const UniqueFd pidfd;
  // The sentry thread tracing it, 0 while parked. Guarded by StubProcess::mu_.
  pid_t tracer_tid = 0;

  // The rest is used only by the tracer.
  // Its exit was reported to a wait: the tid must not be waited for again.
  bool reaped = false;
  // The registers the host thread holds, in the sentry's view (orig_rax as
  // last reported), when regs_valid. Lets Switch skip PTRACE_SETREGS.
  bool regs_valid = false;
  user_regs_struct regs{};
  // The Context bound to this thread, or null. Written by the tracer; read
  // by a context that may have lost the thread to a park (atomic for it).
  std::atomic<PtraceContext*> owner{nullptr};
  // The CPU its affinity was set to at the last claim; -1 the tracer's whole
  // mask; -2 not set (inherited).
  int cpu = -2;
};

class StubProcess : public std::enable_shared_from_this<StubProcess> {
 public:
  // Forks the stub through the factory; every thread starts parked.
  static SysResult<std::shared_ptr<StubProcess>> Create(const StubPage& page,
                                                        int memory_file_fd);
  ~StubProcess();  // kills the process if Kill() was never called

  pid_t pid() const { return pid_; }
  uint64_t id() const { return id_; }
  const StubPage& page() const { return page_; }
  // Set once SIGKILL was sent (or is about to be); never cleared.
  bool dead() const { return dead_.load(std::memory_order_acquire); }

  // The stub thread the calling sentry thread traces in this process; claims
  // (and if needed spawns) one if it traces none. ESRCH if the process is
  // dead or dies meanwhile; other errors if the host refuses to trace it.
  SysResult<std::shared_ptr<StubThread>> ThreadForCaller();
  // The stub thread the calling sentry thread traces here, or null.
  std::shared_ptr<StubThread> HeldByCaller() const;

  // Runs syscall `nr` in `t` (traced by the caller, stopped) at the stub
  // page's injection point. Returns the raw result (rax). On failure the
  // process is killed (Kill) and ESRCH returned.
  SysResult<uint64_t> Inject(StubThread& t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                             uint64_t a3, uint64_t a4, uint64_t a5);

  // See the file comment. Idempotent, any sentry thread.
  void Kill();
  // `t`, traced by the caller, was reported exited by a wait: records it and
  // kills the rest of the process (a stub thread dies only with it).
  void Reaped(StubThread& t);

  // Parks the calling sentry thread's tracee `t` (its thread in this
  // process), or reaps it if the process died. Drops it from the registry.
  void Release(const std::shared_ptr<StubThread>& t);

 private:
  StubProcess(const StubPage& page, FactoryStub stub);

  SysResult<std::shared_ptr<StubThread>> Claim();
  // Has the leader clone a new thread; returns it with tracer_tid set to
  // the caller (not yet seized).
  SysResult<std::shared_ptr<StubThread>> Spawn();
  // Waits for the exit of the caller's own (killed) tracee here, if any.
  void ReapCallerThread();
  void Pin(StubThread& t);

  const StubPage page_;
  const pid_t pid_;
  const uint64_t id_;
  // Registers for injected syscalls: the leader's at its first stop, so
  // segments and flags are valid.
  const user_regs_struct inject_regs_;
  UniqueFd pidfd_;  // of the process

  std::atomic<bool> dead_{false};
  mutable std::mutex mu_;  // guards threads_, leader_, StubThread::tracer_tid
  std::shared_ptr<StubThread> leader_;
  std::vector<std::shared_ptr<StubThread>> threads_;  // application threads
  std::mutex spawn_mu_;  // serializes use of the leader
};

// Parks (or reaps, in dead processes) every stub thread the calling sentry
// thread traces, except its thread in `keep` (if not null). Runs at thread
// exit too, for threads that never destroyed a context.
void ReleaseHeld(const StubProcess* keep);

// Number of stub threads the calling sentry thread traces (for tests).
size_t HeldCount();

}  // namespace bulwark::platform::ptrace_impl
