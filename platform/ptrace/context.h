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
// only on the thread that created the context, which must be the tracer of
// the stub thread it switches into (for now: the thread that created the
// address space). Interrupt may be called from any thread.
//
// Binding: the first Switch into an address space binds the context to the
// stub thread traced by the calling thread; at most one context is bound to a
// stub thread. Switching into another address space rebinds and carries the
// FP state over (unless SetFpState was called since the last Switch, or the
// previous address space is gone, in which case the new stub thread's
// initial state, FpState::Reset, applies).
class PtraceContext final : public Context {
 public:
  // `mxcsr_mask`: MXCSR bits the CPU supports (from FXSAVE).
  explicit PtraceContext(uint32_t mxcsr_mask);
  ~PtraceContext() override;

  Event Switch(AddressSpace& as, Registers& regs) override;
  void Interrupt() override;
  SysResult<void> GetFpState(FpState& fp) override;
  SysResult<void> SetFpState(const FpState& fp) override;

 private:
  // The stub thread to run in `as`, or null if this context cannot run there.
  StubThread* Bind(PtraceAddressSpace& as);
  // Sets the registers, resumes under PTRACE_SYSEMU and waits for an event.
  Event Run(PtraceAddressSpace& as, StubThread& t, Registers& regs);
  // The stub thread failed a tracing call: kills and reaps the stub.
  Event Died(PtraceAddressSpace& as);
  bool InterruptRequested();

  const uint32_t mxcsr_mask_;

  // The current binding. bound_as_/bound_as_id_ identify the address space
  // without dereferencing it (it may have been destroyed since); bound_
  // outlives it only to answer GetFpState.
  const PtraceAddressSpace* bound_as_ = nullptr;
  uint64_t bound_as_id_ = 0;
  StubThread* bound_thread_ = nullptr;
  std::weak_ptr<StubThread> bound_;
  bool ever_bound_ = false;

  // FP state set by SetFpState and not yet loaded into a stub thread.
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
  int run_pidfd_ = -1;    // guarded by mu_; valid while running_
};

}  // namespace bulwark::platform::ptrace_impl
