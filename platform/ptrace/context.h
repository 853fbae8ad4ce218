// PtraceContext: runs an application thread in a stub thread under
// PTRACE_SYSEMU.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "platform/platform.h"
#include "platform/ptrace/address_space.h"

namespace bulwark::platform::ptrace_impl {

// Preconditions: Switch, GetFpState, SetFpState and the destructor are called
// only on the thread that created the context. Interrupt may be called from
// any thread.
//
// Binding: the first Switch into an address space binds the context to the
// stub thread the calling sentry thread traces in it, claiming a parked one
// or spawning one (stub_process.h); at most one context is bound to a stub
// thread. Switching into another address space rebinds, parks the calling
// thread's stub threads in every other address space, and carries the FP
// state over (unless SetFpState was called since the last Switch, or the
// previous address space is gone, in which case FpState::Reset applies; a
// claimed stub thread never passes another context's FP state on). The
// destructor parks every stub thread the calling sentry thread traces, so a
// sentry thread can exit without killing stubs (PTRACE_O_EXITKILL).
class PtraceContext final : public Context {
 public:
  // `mxcsr_mask`: MXCSR bits the CPU supports (from FXSAVE).
  explicit PtraceContext(uint32_t mxcsr_mask);
  ~PtraceContext() override;

  Event Switch(AddressSpace& as, Registers& regs) override;
  void Interrupt() override;
  SysResult<void> GetFpState(FpState& fp) override;
  SysResult<void> SetFpState(const FpState& fp) override;
  bool OwnsCpu() const override { return cpu_ >= 0 && CpuExclusive(cpu_); }

 private:
  // The stub thread to run in `as`, or null if this context cannot run there.
  StubThread* Bind(PtraceAddressSpace& as) {
    if (&as == bound_as_ && as.id() == bound_as_id_ && bound_->owner == this &&
        !bound_proc_->dead()) {
      return bound_.get();
    }
    return Rebind(as);
  }
  StubThread* Rebind(PtraceAddressSpace& as);
  // Gives up the bound stub thread (if still ours) for other contexts.
  void Unbind();
  // Sets the registers, resumes under PTRACE_SYSEMU and waits for an event.
  Event Run(StubProcess& proc, StubThread& t, Registers& regs);
  // The stub thread failed a tracing call: kills the stub.
  Event Died(StubProcess& proc);
  bool InterruptRequested();

  const uint32_t mxcsr_mask_;
  const int cpu_;  // PinnedCpu() of the creating thread (the one that runs it)

  // The current binding. bound_as_/bound_as_id_ identify the address space
  // without dereferencing it (it may have been destroyed since); the stub
  // process and thread outlive it. The binding is live while
  // bound_->owner == this (a park by ReleaseHeld clears owner).
  const PtraceAddressSpace* bound_as_ = nullptr;
  uint64_t bound_as_id_ = 0;
  std::shared_ptr<StubProcess> bound_proc_;
  std::shared_ptr<StubThread> bound_;
  bool ever_bound_ = false;

  // FP state set by SetFpState (or the initial one) and not yet loaded into
  // a stub thread.
  FpState fp_;
  bool fp_dirty_ = false;

  // Interrupt protocol. While running_, Interrupt() signals the stub thread
  // (once per Switch, recorded in kicked_); otherwise it sets pending_, which
  // the next Switch consumes by returning kInterrupted without running. A
  // kick that lands after the stub already stopped for another event leaves a
  // signal queued in the stub: that Switch sets pending_ (the caller asked for
  // an interruption), and the stale signal's stop is later dropped by a
  // Switch that was not kicked.
  std::mutex mu_;
  bool running_ = false;  // guarded by mu_
  bool kicked_ = false;   // guarded by mu_
  bool pending_ = false;  // guarded by mu_
  int run_pidfd_ = -1;    // guarded by mu_; valid while running_ (or -1: tgkill)
  pid_t run_pid_ = 0;     // guarded by mu_
  pid_t run_tid_ = 0;     // guarded by mu_
};

}  // namespace bulwark::platform::ptrace_impl
