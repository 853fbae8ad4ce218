// The task run loop: switch into application code, handle what comes back.
#include <sched.h>

#include <chrono>

#include "base/log.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/spin_wait.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::kernel {

void Task::Run() {
  std::unique_lock<std::mutex> lock(kernel_.mu);
  {
    // Context creation may fork host helpers; no kernel state is touched.
    lock.unlock();
    auto ctx = kernel_.platform().NewContext();
    lock.lock();
    context = std::move(ctx);
  }
  cpu_mark_ns = MonotonicNs();
  while (true) {
    if (exiting || tg_->exiting) break;
    if (kernel_.paused) {
      // Paused by the control channel: wait here for resume. Exit does not
      // notify resume_cv, hence the polling.
      while (kernel_.paused && !exiting && !tg_->exiting)
        kernel_.resume_cv.wait_for(lock, std::chrono::milliseconds(50));
      continue;
    }
    HandlePendingSignals(*this);
    if (exiting || tg_->exiting) break;
    auto as = mm_->Activate();
    if (!as) {
      LOG_ERROR("task %d: cannot create address space: %s", tid_, ErrnoName(as.error()));
      GroupExit(*tg_, SIGKILL);
      break;
    }
    in_app = true;
    ChargeSentryTime(*this);
    int64_t app_start = cpu_mark_ns;
    lock.unlock();
    if (fp_dirty) {
      (void)context->SetFpState(fp_);
      fp_dirty = false;
    }
    platform::Event ev = context->Switch(**as, regs_);
    int64_t app_end = MonotonicNs();
    LockSpinning(lock, context->OwnsCpu() ? kLockSpinNs : 0);
    in_app = false;
    if (app_end > app_start) utime_ns += static_cast<uint64_t>(app_end - app_start);
    cpu_mark_ns = app_end;
    switch (ev.kind) {
      case platform::Event::Kind::kSyscall:
        syscalls::Dispatch(*this);
        break;
      case platform::Event::Kind::kFault: {
        siginfo_t info = ev.info;
        info.si_signo = ev.info.si_signo ? ev.info.si_signo : SIGSEGV;
        if (info.si_signo == SIGSEGV && mm().FaultIsSigbus(ev.fault_addr)) {
          // A file page past the end of the file: left unmapped in the
          // platform so that the access lands here (filemap_fault()).
          info = siginfo_t{};
          info.si_signo = SIGBUS;
          info.si_code = BUS_ADRERR;
          info.si_addr = reinterpret_cast<void*>(ev.fault_addr);
        }
        LOG_DEBUG("task %d: fault at %#lx rip %#llx", tid_, ev.fault_addr, regs_.regs.rip);
        ForceSignal(*this, info);
        break;
      }
      case platform::Event::Kind::kSignal:
        ForceSignal(*this, ev.info);
        break;
      case platform::Event::Kind::kInterrupted:
        break;
      case platform::Event::Kind::kDied:
        LOG_WARN("task %d: its host context died; killing the process", tid_);
        GroupExit(*tg_, SIGKILL);
        break;
    }
  }
  ExitTask(*this);
  context.reset();
  kernel_.TaskExited(this);  // deletes this
  lock.unlock();
}

}  // namespace bulwark::kernel
