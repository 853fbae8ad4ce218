#include "platform/ptrace/context.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "base/log.h"
#include "platform/ptrace/ptrace_sys.h"

namespace bulwark::platform::ptrace_impl {
namespace {

// MXCSR is at byte 24 of the FXSAVE area.
uint32_t Mxcsr(const FpState& fp) {
  uint32_t v;
  std::memcpy(&v, fp.bytes + 24, sizeof(v));
  return v;
}

// Linux's answer to a register state it cannot load (e.g. a bad segment
// selector or fs_base from a forged sigreturn frame): SIGSEGV.
Event BadStateEvent() {
  Event ev;
  ev.kind = Event::Kind::kSignal;
  ev.info.si_signo = SIGSEGV;
  ev.info.si_code = SI_KERNEL;
  return ev;
}

}  // namespace

PtraceContext::PtraceContext(uint32_t mxcsr_mask) : mxcsr_mask_(mxcsr_mask), cpu_(PinnedCpu()) {
  fp_.Reset();
  if (cpu_ >= 0) AddCpuUser(cpu_, 1);
}

PtraceContext::~PtraceContext() {
  if (cpu_ >= 0) AddCpuUser(cpu_, -1);
  Unbind();
  ReleaseHeld(nullptr);
}

void PtraceContext::Unbind() {
  PtraceContext* self = this;
  if (bound_) bound_->owner.compare_exchange_strong(self, nullptr);
}

StubThread* PtraceContext::Rebind(PtraceAddressSpace& as) {
  const std::shared_ptr<StubProcess>& proc = as.process();
  if (proc->dead()) {
    proc->Kill();  // reaps our tracee there, if any
    return nullptr;
  }
  // Carry the FP state over from the previous address space, while its
  // stub thread is still ours (it is parked below).
  if (bound_ && bound_->owner == this && bound_proc_ != proc && !fp_dirty_ &&
      !bound_proc_->dead() && PtraceGetFpRegs(bound_->tid, fp_.bytes)) {
    fp_dirty_ = true;
  }
  auto t = proc->ThreadForCaller();
  if (!t) return nullptr;
  if ((*t)->owner != nullptr && (*t)->owner != this) {
    LOG_ERROR("ptrace: a second context of thread %d switches into stub thread %d", CurrentTid(),
              (*t)->tid);
    return nullptr;
  }
  Unbind();
  // One stub thread per sentry thread stays traced: the one it runs in.
  ReleaseHeld(proc.get());
  if (!ever_bound_) {
    // The claimed thread may have run another context: load the initial
    // state (fp_ holds FpState::Reset or what SetFpState set).
    fp_dirty_ = true;
  }
  (*t)->owner = this;
  bound_as_ = &as;
  bound_as_id_ = as.id();
  bound_proc_ = proc;
  bound_ = std::move(*t);
  ever_bound_ = true;
  return bound_.get();
}

Event PtraceContext::Switch(AddressSpace& as_base, Registers& regs) {
  // SAFETY: the ptrace platform creates only PtraceAddressSpaces, and a
  // context is never used with another platform's address space.
  auto& as = static_cast<PtraceAddressSpace&>(as_base);
  StubThread* t = Bind(as);
  if (t == nullptr) return Event{.kind = Event::Kind::kDied};
  {
    std::lock_guard lock(mu_);
    if (pending_) {
      pending_ = false;
      return Event{.kind = Event::Kind::kInterrupted};
    }
    running_ = true;
    kicked_ = false;
    run_pidfd_ = t->pidfd.get();
    run_pid_ = bound_proc_->pid();
    run_tid_ = t->tid;
  }
  Event ev = Run(*bound_proc_, *t, regs);
  {
    std::lock_guard lock(mu_);
    running_ = false;
    run_pidfd_ = -1;
    if (kicked_ && ev.kind != Event::Kind::kInterrupted && ev.kind != Event::Kind::kDied) {
      pending_ = true;
    }
  }
  return ev;
}

bool PtraceContext::InterruptRequested() {
  std::lock_guard lock(mu_);
  return kicked_;
}

Event PtraceContext::Died(StubProcess& proc) {
  // Tracing calls on a stopped tracee fail only when it is dying: finish it.
  proc.Kill();
  return Event{.kind = Event::Kind::kDied};
}

Event PtraceContext::Run(StubProcess& proc, StubThread& t, Registers& regs) {
  if (!t.regs_valid || std::memcmp(&t.regs, &regs.regs, sizeof(regs.regs)) != 0) {
    user_regs_struct host = regs.regs;
    // Not in a syscall as far as the host is concerned: the host's syscall
    // restart logic (regs rewound when rax is -ERESTART* and a signal stop
    // happens on the way out) must never touch application registers; the
    // sentry restarts syscalls itself.
    host.orig_rax = ~0ull;
    if (auto r = PtraceSetRegs(t.tid, host); !r) {
      t.regs_valid = false;
      if (r.error() == Errno::kESRCH) return Died(proc);
      LOG_DEBUG("ptrace: PTRACE_SETREGS: %s (rip %#llx cs %#llx fs_base %#llx)",
                ErrnoName(r.error()), regs.regs.rip, regs.regs.cs, regs.regs.fs_base);
      return BadStateEvent();
    }
    t.regs = regs.regs;
    t.regs_valid = true;
  }
  if (fp_dirty_) {
    if (auto r = PtraceSetFpRegs(t.tid, fp_.bytes); !r) {
      if (r.error() == Errno::kESRCH) return Died(proc);
      LOG_DEBUG("ptrace: PTRACE_SETFPREGS: %s", ErrnoName(r.error()));
      return BadStateEvent();
    }
    fp_dirty_ = false;
  }

  Event ev;
  for (;;) {
    if (!PtraceResume(PTRACE_SYSEMU, t.tid)) return Died(proc);
    auto status = WaitTracee(t.tid);
    if (!status) return Died(proc);
    if (WIFEXITED(*status) || WIFSIGNALED(*status)) {
      proc.Reaped(t);
      return Event{.kind = Event::Kind::kDied};
    }
    // A group-stop of the seized thread (a SIGSTOP from outside got past
    // us): not an event; resuming ends the stop for this thread.
    if ((*status >> 16) == PTRACE_EVENT_STOP) continue;
    int sig = WSTOPSIG(*status);
    if (sig == kSyscallStopSignal) {
      // PTRACE_SYSEMU: the syscall was not executed; orig_rax holds its
      // number and rip points after the instruction.
      ev.kind = Event::Kind::kSyscall;
      break;
    }
    if (!PtraceGetSiginfo(t.tid, ev.info)) return Died(proc);
    if (ev.info.si_code <= 0) {
      // Sent by a process, not caused by the application: our interrupt,
      // a stale interrupt from an earlier Switch, or a stray kill. Dropped.
      if (sig == kInterruptSignal && InterruptRequested()) {
        ev.kind = Event::Kind::kInterrupted;
        break;
      }
      continue;
    }
    if (sig == SIGSEGV || sig == SIGBUS) {
      ev.kind = Event::Kind::kFault;
      // SAFETY: si_addr is the member for SIGSEGV/SIGBUS.
      ev.fault_addr = reinterpret_cast<uint64_t>(ev.info.si_addr);
    } else {
      ev.kind = Event::Kind::kSignal;
    }
    break;
  }
  if (!PtraceGetRegs(t.tid, regs.regs)) return Died(proc);
  t.regs = regs.regs;
  t.regs_valid = true;
  return ev;
}

void PtraceContext::Interrupt() {
  std::lock_guard lock(mu_);
  if (!running_) {
    pending_ = true;
    return;
  }
  if (kicked_) return;
  kicked_ = true;
  // SAFETY: raw pidfd_send_signal; run_pidfd_ (a PIDFD_THREAD pidfd: the
  // signal goes to this stub thread only) stays open while running_ (the
  // Switch holds the stub thread), and a pidfd never names a recycled pid.
  // Without PIDFD_THREAD (Linux < 6.9), tgkill: the tid could only be
  // recycled after the tracer reaped it, which the running Switch has not.
  if (run_pidfd_ >= 0) {
    ::syscall(SYS_pidfd_send_signal, run_pidfd_, kInterruptSignal, nullptr, 0);
  } else {
    ::syscall(SYS_tgkill, run_pid_, run_tid_, kInterruptSignal);
  }
}

SysResult<void> PtraceContext::GetFpState(FpState& fp) {
  if (fp_dirty_ || !ever_bound_) {
    fp = fp_;
    return {};
  }
  if (!bound_ || bound_->owner != this || bound_proc_->dead()) return Err(Errno::kESRCH);
  return PtraceGetFpRegs(bound_->tid, fp.bytes);
}

SysResult<void> PtraceContext::SetFpState(const FpState& fp) {
  if ((Mxcsr(fp) & ~mxcsr_mask_) != 0) return Err(Errno::kEINVAL);
  fp_ = fp;
  fp_dirty_ = true;
  return {};
}

}  // namespace bulwark::platform::ptrace_impl
