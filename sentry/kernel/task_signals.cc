// Signal delivery: default actions, handler frames, rt_sigreturn, and the
// syscall restart rules (arch/x86/kernel/signal.c).
#include <sys/wait.h>

#include <cstring>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)  // linux/signal.h; not in glibc 2.36's headers
#endif

#include "base/log.h"
#include "sentry/abi/linux/signal_frame.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/task_internal.h"

namespace bulwark::kernel {

namespace {

constexpr uint64_t kRedZone = 128;
// RFLAGS bits an application may change through sigreturn (FIX_EFLAGS).
constexpr uint64_t kUserFlags = 0x50dd5;  // AC RF OF DF TF SF ZF AF PF CF

bool OnAltStack(const Task& t, uint64_t sp) {
  auto base = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  return !(t.altstack.ss_flags & SS_DISABLE) && sp > base && sp - base <= t.altstack.ss_size;
}

constexpr uint64_t kNrRestartSyscall = 219;

void RestartSyscall(Task& t, bool restart_block) {
  // ERESTART_RESTARTBLOCK re-enters through restart_syscall(2), which runs
  // t.restart_block (e.g. a futex wait with the original deadline).
  t.regs().regs.rax = restart_block ? kNrRestartSyscall : t.regs().regs.orig_rax;
  t.regs().regs.rip -= 2;  // back over the 2-byte `syscall` instruction
}

// Decides what an interrupted syscall returns now that `act` (nullptr: no
// handler runs) is delivered.
void FinishInterruptedSyscall(Task& t, const KSigAction* act) {
  int code = t.syscall_restart;
  if (code == 0) return;
  t.syscall_restart = 0;
  bool restart;
  switch (static_cast<Errno>(code)) {
    case Errno::kERESTARTNOINTR: restart = true; break;
    case Errno::kERESTARTSYS: restart = act == nullptr || (act->flags & SA_RESTART); break;
    default: restart = act == nullptr; break;  // ERESTARTNOHAND, ERESTART_RESTARTBLOCK
  }
  bool block = static_cast<Errno>(code) == Errno::kERESTART_RESTARTBLOCK;
  if (restart) {
    RestartSyscall(t, block);
  } else {
    t.regs().regs.rax = static_cast<uint64_t>(-EINTR);
    if (block) t.restart_block = nullptr;
  }
}

SysResult<void> SetupFrame(Task& t, int sig, const siginfo_t& info, const KSigAction& act) {
  auto& r = t.regs().regs;
  uint64_t sp = r.rsp - kRedZone;
  if ((act.flags & SA_ONSTACK) && !(t.altstack.ss_flags & SS_DISABLE) && !OnAltStack(t, r.rsp))
    sp = reinterpret_cast<uint64_t>(t.altstack.ss_sp) + t.altstack.ss_size;
  // FXSAVE area, 64-byte aligned as the kernel aligns it.
  sp = (sp - sizeof(t.fp().bytes)) & ~uint64_t{63};
  uint64_t fpstate = sp;
  sp -= sizeof(abi::RtSigFrame);
  sp = ((sp + 8) & ~uint64_t{15}) - 8;  // as if `call`ed: (rsp+8) % 16 == 0

  TRY(t.context->GetFpState(t.fp()));
  abi::RtSigFrame f;
  std::memset(&f, 0, sizeof(f));
  f.pretcode = act.restorer;
  f.uc.uc_flags = abi::kUcSigcontextSs | abi::kUcStrictRestoreSs;
  f.uc.uc_stack.ss_sp = reinterpret_cast<uint64_t>(t.altstack.ss_sp);
  f.uc.uc_stack.ss_flags = OnAltStack(t, r.rsp) ? SS_ONSTACK : t.altstack.ss_flags;
  f.uc.uc_stack.ss_size = t.altstack.ss_size;
  abi::SigContext& c = f.uc.uc_mcontext;
  c.r8 = r.r8; c.r9 = r.r9; c.r10 = r.r10; c.r11 = r.r11;
  c.r12 = r.r12; c.r13 = r.r13; c.r14 = r.r14; c.r15 = r.r15;
  c.rdi = r.rdi; c.rsi = r.rsi; c.rbp = r.rbp; c.rbx = r.rbx;
  c.rdx = r.rdx; c.rax = r.rax; c.rcx = r.rcx; c.rsp = r.rsp;
  c.rip = r.rip; c.eflags = r.eflags;
  c.cs = static_cast<uint16_t>(r.cs);
  c.ss = static_cast<uint16_t>(r.ss);
  c.trapno = info.si_signo == SIGSEGV || info.si_signo == SIGBUS ? 14 : 0;
  if (info.si_signo == SIGSEGV || info.si_signo == SIGBUS)
    c.cr2 = reinterpret_cast<uint64_t>(info.si_addr);
  c.oldmask = t.sigmask;
  c.fpstate = fpstate;
  f.uc.uc_sigmask = t.restore_saved_sigmask ? t.saved_sigmask : t.sigmask;
  std::memcpy(f.info, &info, sizeof(f.info));

  TRY(t.CopyOutBytes(fpstate, t.fp().bytes, sizeof(t.fp().bytes)));
  TRY(t.CopyOutBytes(sp, &f, sizeof(f)));

  r.rsp = sp;
  r.rip = act.handler;
  r.rdi = static_cast<uint64_t>(sig);
  r.rsi = sp + offsetof(abi::RtSigFrame, info);
  r.rdx = sp + offsetof(abi::RtSigFrame, uc);
  r.rax = 0;
  r.eflags &= ~uint64_t{0x100 | 0x400};  // clear TF and DF for the handler
  // A fresh FPU state for the handler (fpu__clear_user_states).
  t.fp().Reset();
  t.fp_dirty = true;
  t.restore_saved_sigmask = false;

  SigSet mask = t.sigmask | act.mask;
  if (!(act.flags & SA_NODEFER)) mask |= SigBit(sig);
  t.sigmask = mask & ~kUnblockable;
  return {};
}

// Starts a group stop (do_signal_stop) and stops this thread. The parent
// is told at once; Linux waits until every thread has stopped, so here
// another thread may still run briefly after the parent saw the stop.
void DoGroupStop(Task& t, int sig) {
  ThreadGroup& tg = t.tg();
  if (!tg.group_stopped) {
    tg.group_stopped = true;
    tg.stop_signal = sig;
    tg.stopped_report = true;
    tg.continued_report = false;
    for (Task* o : tg.tasks)
      if (o != &t) o->Kick();  // they stop on their way to application code
    NotifyParent(tg, CLD_STOPPED, sig);
  }
  ParticipateInGroupStop(t);
}

}  // namespace

void NoteRestart(Task& t, Errno e) { t.syscall_restart = ToInt(e); }

void ParticipateInGroupStop(Task& t) {
  ThreadGroup& tg = t.tg();
  // Only SIGCONT (clears group_stopped) and kills end the stop; other
  // signals stay pending meanwhile.
  t.group_stop_done = true;
  while (tg.group_stopped && !tg.exiting && !t.exiting) t.WaitForEvent();
  t.group_stop_done = false;
}

void HandlePendingSignals(Task& t) {
  ThreadGroup& tg = t.tg();
  while (!t.exiting && !tg.exiting) {
    if (tg.group_stopped) {
      ParticipateInGroupStop(t);
      continue;
    }
    siginfo_t info;
    SigSet allowed = ~t.sigmask | kUnblockable;
    if (!t.pending.Dequeue(allowed, &info) && !tg.pending.Dequeue(allowed, &info)) break;
    int sig = info.si_signo;
    const KSigAction act = tg.handlers->actions[sig];
    if (act.handler == reinterpret_cast<uint64_t>(SIG_IGN)) continue;
    if (act.handler == reinterpret_cast<uint64_t>(SIG_DFL)) {
      switch (DefaultActionOf(sig)) {
        case DefaultAction::kIgnore:
        case DefaultAction::kContinue:
          continue;
        case DefaultAction::kStop:
          DoGroupStop(t, sig);
          continue;
        case DefaultAction::kTerm:
          GroupExit(tg, sig);
          return;
        case DefaultAction::kCore:
          // No core files are written; the status says so (WCOREDUMP clear).
          GroupExit(tg, sig);
          return;
      }
    }
    FinishInterruptedSyscall(t, &act);
    auto r = SetupFrame(t, sig, info, act);
    if (!r) {
      // The handler's stack is unusable: SIGSEGV, as Linux's signal_setup_done.
      LOG_DEBUG("task %d: cannot write signal frame: %s", t.tid(), ErrnoName(r.error()));
      GroupExit(tg, SIGSEGV);
      return;
    }
    if (act.flags & SA_RESETHAND) tg.handlers->actions[sig].handler = 0;
    return;  // one frame per return to user space, as Linux does
  }
  FinishInterruptedSyscall(t, nullptr);
  if (t.restore_saved_sigmask) {
    t.sigmask = t.saved_sigmask;
    t.restore_saved_sigmask = false;
  }
}

SysResult<uint64_t> SigReturn(Task& t) {
  auto& r = t.regs().regs;
  // The handler's `ret` popped pretcode: the frame starts 8 bytes below rsp.
  uint64_t frame = r.rsp - 8;
  abi::RtSigFrame f;
  if (!t.CopyInBytes(frame, &f, sizeof(f))) {
    ForceSignal(t, MakeSigInfo(SIGSEGV, SI_KERNEL));
    return r.rax;
  }
  const abi::SigContext& c = f.uc.uc_mcontext;
  r.r8 = c.r8; r.r9 = c.r9; r.r10 = c.r10; r.r11 = c.r11;
  r.r12 = c.r12; r.r13 = c.r13; r.r14 = c.r14; r.r15 = c.r15;
  r.rdi = c.rdi; r.rsi = c.rsi; r.rbp = c.rbp; r.rbx = c.rbx;
  r.rdx = c.rdx; r.rax = c.rax; r.rcx = c.rcx; r.rsp = c.rsp;
  r.rip = c.rip;
  r.eflags = (r.eflags & ~kUserFlags) | (c.eflags & kUserFlags);
  r.orig_rax = static_cast<uint64_t>(-1);  // no syscall restart after sigreturn
  if (c.fpstate != 0) {
    platform::FpState fp;
    if (t.CopyInBytes(c.fpstate, fp.bytes, sizeof(fp.bytes))) {
      // MXCSR reserved bits must be zero or FXRSTOR faults (#GP).
      uint32_t mxcsr;
      std::memcpy(&mxcsr, fp.bytes + 24, sizeof(mxcsr));
      mxcsr &= 0xffff;
      std::memcpy(fp.bytes + 24, &mxcsr, sizeof(mxcsr));
      t.fp() = fp;
      t.fp_dirty = true;
    }
  } else {
    t.fp().Reset();
    t.fp_dirty = true;
  }
  t.sigmask = f.uc.uc_sigmask & ~kUnblockable;
  // uc_stack restores the alternate stack like sigaltstack(2) would.
  if (!OnAltStack(t, r.rsp)) {
    const abi::StackT& s = f.uc.uc_stack;
    if ((s.ss_flags & ~SS_AUTODISARM) == SS_DISABLE || s.ss_flags == 0) {
      t.altstack.ss_sp = reinterpret_cast<void*>(s.ss_sp);
      t.altstack.ss_flags = s.ss_flags;
      t.altstack.ss_size = s.ss_size;
    }
  }
  return r.rax;
}

}  // namespace bulwark::kernel
