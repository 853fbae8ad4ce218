// PtraceAddressSpace: an application address space held by a stub process.
#pragma once

#include <sys/types.h>
#include <sys/user.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "platform/platform.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl {

class PtraceContext;

// The calling thread's host tid (cached).
pid_t CurrentTid();

// One host thread of a stub process and the sentry thread that traces it.
// Fields other than `dead` and `pidfd` are used only by the tracer thread.
struct StubThread {
  pid_t tid = 0;
  pid_t tracer_tid = 0;
  // pidfd of this thread, for Context::Interrupt from any thread and for
  // killing the stub: unlike tgkill/kill, a pidfd cannot hit a recycled pid.
  UniqueFd pidfd;
  // Set once the thread is reaped or being killed: its tid must not be
  // signalled or waited for again.
  std::atomic<bool> dead{false};
  // The registers the host thread holds, in the sentry's view (orig_rax as
  // last reported), when regs_valid. Lets Switch skip PTRACE_SETREGS.
  bool regs_valid = false;
  user_regs_struct regs{};
  // The Context bound to this thread, or null.
  PtraceContext* owner = nullptr;
};

// Preconditions for MapFile, Unmap and Protect: called on the tracer thread
// of one of the stub's threads (today: the thread that called
// NewAddressSpace), never concurrently with a Switch on that thread (which
// is then implied). The destructor may run on any sentry thread.
class PtraceAddressSpace final : public AddressSpace {
 public:
  // Forks the stub from the calling thread, which becomes its tracer.
  static SysResult<std::unique_ptr<PtraceAddressSpace>> Create(const StubPage& page,
                                                               int memory_file_fd);
  // Kills the stub (SIGKILL) and reaps it.
  ~PtraceAddressSpace() override;

  SysResult<void> MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                          int prot) override;
  SysResult<void> Unmap(uint64_t addr, uint64_t len) override;
  SysResult<void> Protect(uint64_t addr, uint64_t len, int prot) override;

  // The stub process (for tests and logs).
  pid_t pid() const { return pid_; }
  // Unique for the process lifetime (never reused, unlike `this`).
  uint64_t id() const { return id_; }

  // The stub thread traced by the calling thread, or null.
  std::shared_ptr<StubThread> ThreadForCaller() const;

  // Kills the whole stub after one of its threads was found dying or in an
  // unexpected state, reaps it and marks every thread dead.
  void Lost();
  // Records that `t` was reaped by a wait that reported its exit.
  void Reaped(StubThread& t);

 private:
  PtraceAddressSpace(const StubPage& page, Stub stub);

  // Runs syscall `nr` in the stub thread `t` (stopped, traced by the caller)
  // at the stub page's injection point. Returns the raw result (rax).
  SysResult<uint64_t> Inject(StubThread& t, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                             uint64_t a3, uint64_t a4, uint64_t a5);
  SysResult<StubThread*> CallerThread() const;
  SysResult<void> ResetExtendedState(pid_t tid);

  const StubPage page_;
  const pid_t pid_;
  const uint64_t id_;
  // Registers for injected syscalls: the stub's own at its first stop, so
  // segments and flags are valid.
  user_regs_struct inject_regs_{};
  // Keyed by tracer_tid. [0] is the stub's main thread; multi-threaded
  // address spaces (one stub thread per application thread, each traced by
  // that task's sentry thread) are not implemented yet.
  std::vector<std::shared_ptr<StubThread>> threads_;
};

}  // namespace bulwark::platform::ptrace_impl
