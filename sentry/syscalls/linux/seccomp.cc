// seccomp(2) and prctl(PR_SET_SECCOMP): the application's own system-call
// filters (kernel/seccomp.h), checked before every dispatch.
//
// Deliberate differences from Linux (kernel/seccomp.c):
// - No user-space notification: SECCOMP_FILTER_FLAG_NEW_LISTENER is EINVAL
//   (logged) and SECCOMP_GET_ACTION_AVAIL says EOPNOTSUPP for
//   SECCOMP_RET_USER_NOTIF; a filter returning it gets ENOSYS, as Linux
//   does when no listener exists.
// - The sandbox has no ptrace(2), so SECCOMP_RET_TRACE always finds no
//   tracer: ENOSYS, as Linux without one.
// - SECCOMP_RET_LOG and the kill actions go to the sentry's debug log, not
//   to an audit log. SECCOMP_FILTER_FLAG_SPEC_ALLOW has nothing to disable.
#include <linux/audit.h>
#include <linux/capability.h>
#include <signal.h>

#include <memory>

#include "base/log.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_seccomp.h"

namespace bulwark::syscalls {

namespace {

using kernel::SeccompFilter;

constexpr uint32_t kKnownFilterFlags =
    SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
constexpr int kMaxErrno = 4095;

// seccomp_may_assign_mode(): a task's mode is set once.
bool MayAssignMode(const Task& t, int mode) {
  return t.seccomp.mode == SECCOMP_MODE_DISABLED || t.seccomp.mode == mode;
}

SysResult<uint64_t> SetModeStrict(Task& t) {
  if (!MayAssignMode(t, SECCOMP_MODE_STRICT)) return Err(Errno::kEINVAL);
  t.seccomp.mode = SECCOMP_MODE_STRICT;
  return 0;
}

// Whether `ancestor` is `chain` or one of the filters it extends.
bool IsAncestor(const SeccompFilter* ancestor, const SeccompFilter* chain) {
  if (ancestor == nullptr) return true;
  for (const SeccompFilter* f = chain; f != nullptr; f = f->prev.get())
    if (f == ancestor) return true;
  return false;
}

SysResult<uint64_t> SetModeFilter(Task& t, uint32_t flags, UserPtr<sock_fprog> uprog) {
  if (flags & ~kKnownFilterFlags) return Err(Errno::kEINVAL);
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
      !(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
    return Err(Errno::kEINVAL);
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) &&
      !(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return Err(Errno::kEINVAL);
  // seccomp_prepare_user_filter() / seccomp_prepare_filter().
  sock_fprog fprog = TRY(t.CopyIn(uprog));
  if (fprog.len == 0 || fprog.len > BPF_MAXINSNS) return Err(Errno::kEINVAL);
  if (!t.no_new_privs && !t.creds().HasCap(CAP_SYS_ADMIN)) return Err(Errno::kEACCES);
  auto filter = std::make_shared<SeccompFilter>();
  filter->prog.resize(fprog.len);
  TRY(t.CopyInBytes(reinterpret_cast<uint64_t>(fprog.filter), filter->prog.data(),
                    fprog.len * sizeof(sock_filter)));
  TRY(kernel::CheckSeccompProgram(filter->prog));
  if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
    LOG_WARN("seccomp: SECCOMP_FILTER_FLAG_NEW_LISTENER (user notification) is not supported");
    return Err(Errno::kEINVAL);
  }
  filter->log = flags & SECCOMP_FILTER_FLAG_LOG;
  // seccomp_attach_filter().
  if (!MayAssignMode(t, SECCOMP_MODE_FILTER)) return Err(Errno::kEINVAL);
  filter->prev = t.seccomp.filter;
  if (kernel::SeccompPathLength(filter.get()) > kernel::kSeccompMaxInsnsPerPath)
    return Err(Errno::kENOMEM);
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
    // seccomp_can_sync_threads(): every other thread must have no filter
    // or one this thread's chain extends; otherwise the call fails with
    // that thread's id (or ESRCH).
    for (Task* other : t.tg().tasks) {
      if (other == &t || other->exiting) continue;
      bool ok = (other->seccomp.mode == SECCOMP_MODE_DISABLED ||
                 other->seccomp.mode == SECCOMP_MODE_FILTER) &&
                IsAncestor(other->seccomp.filter.get(), t.seccomp.filter.get());
      if (!ok) {
        if (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH) return Err(Errno::kESRCH);
        return static_cast<uint64_t>(other->tid());
      }
    }
  }
  std::shared_ptr<const SeccompFilter> attached = std::move(filter);
  t.seccomp.filter = attached;
  t.seccomp.mode = SECCOMP_MODE_FILTER;
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
    // seccomp_sync_threads(): the others get this chain, and this
    // thread's no_new_privs.
    for (Task* other : t.tg().tasks) {
      if (other == &t || other->exiting) continue;
      other->seccomp.filter = attached;
      other->seccomp.mode = SECCOMP_MODE_FILTER;
      if (t.no_new_privs) other->no_new_privs = true;
    }
  }
  return 0;
}

// seccomp_get_action_avail().
SysResult<uint64_t> GetActionAvail(Task& t, UserPtr<uint32_t> uaction) {
  uint32_t action = TRY(t.CopyIn(uaction));
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_TRAP:
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_TRACE:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_ALLOW:
      return 0;
    default:  // including SECCOMP_RET_USER_NOTIF (not supported)
      return Err(Errno::kEOPNOTSUPP);
  }
}

int LiveThreads(const Task& t) {
  int live = 0;
  for (const Task* other : t.tg().tasks)
    if (!other->exiting) ++live;
  return live;
}

// The thread dies with `sig` (do_exit()); with no other live thread, so
// does the process.
void KillThread(Task& t, int sig) {
  if (LiveThreads(t) <= 1) {
    kernel::GroupExit(t.tg(), sig);
  } else {
    t.exit_code = sig;
    t.exiting = true;
  }
}

// force_sig_seccomp(): SIGSYS with the call's details; `fatal` ignores any
// handler (SECCOMP_RET_KILL_PROCESS), otherwise a blocked or ignored SIGSYS
// is reset to its default so it still ends the process.
void SendSigsys(Task& t, const SyscallArgs& args, uint32_t data, bool fatal) {
  siginfo_t info{};
  info.si_signo = SIGSYS;
  info.si_code = 1;  // SYS_SECCOMP (asm-generic/siginfo.h)
  info.si_errno = static_cast<int>(data);
  info.si_call_addr = reinterpret_cast<void*>(t.regs().regs.rip);
  info.si_syscall = static_cast<int>(args.nr);
  info.si_arch = AUDIT_ARCH_X86_64;
  if (fatal) {
    t.tg().handlers->actions[SIGSYS].handler = reinterpret_cast<uint64_t>(SIG_DFL);
    t.sigmask &= ~kernel::SigBit(SIGSYS);
  }
  kernel::ForceSignal(t, info);
}

}  // namespace

SysResult<uint64_t> sys_seccomp(Task& t, unsigned op, unsigned flags, UserPtr<uint8_t> uargs) {
  switch (op) {
    case SECCOMP_SET_MODE_STRICT:
      if (flags != 0 || !uargs.null()) return Err(Errno::kEINVAL);
      return SetModeStrict(t);
    case SECCOMP_SET_MODE_FILTER:
      return SetModeFilter(t, flags, UserPtr<sock_fprog>{uargs.addr});
    case SECCOMP_GET_ACTION_AVAIL:
      if (flags != 0) return Err(Errno::kEINVAL);
      return GetActionAvail(t, UserPtr<uint32_t>{uargs.addr});
    case SECCOMP_GET_NOTIF_SIZES: {
      if (flags != 0) return Err(Errno::kEINVAL);
      seccomp_notif_sizes sizes{sizeof(seccomp_notif), sizeof(seccomp_notif_resp),
                                sizeof(seccomp_data)};
      TRY(t.CopyOut(UserPtr<seccomp_notif_sizes>{uargs.addr}, sizes));
      return 0;
    }
    default:
      return Err(Errno::kEINVAL);
  }
}

SysResult<uint64_t> SetSeccompModeFromPrctl(Task& t, uint64_t mode, UserPtr<sock_fprog> filter) {
  switch (mode) {
    case SECCOMP_MODE_STRICT:
      return SetModeStrict(t);
    case SECCOMP_MODE_FILTER:
      return SetModeFilter(t, 0, filter);
    default:
      return Err(Errno::kEINVAL);
  }
}

bool SeccompDenies(Task& t, const SyscallArgs& args, int64_t* ret) {
  auto& regs = t.regs().regs;
  if (t.seccomp.mode == SECCOMP_MODE_STRICT) {
    // __secure_computing_strict(): read, write, exit, rt_sigreturn only;
    // anything else kills the thread with SIGKILL.
    switch (args.nr) {
      case __NR_read:
      case __NR_write:
      case __NR_exit:
      case __NR_rt_sigreturn:
        return false;
    }
    LOG_INFO("seccomp: task %d killed in strict mode by syscall %lu", t.tid(), args.nr);
    KillThread(t, SIGKILL);
    return true;
  }
  if (t.seccomp.filter == nullptr) return false;
  seccomp_data data{};
  data.nr = static_cast<int>(args.nr);
  data.arch = AUDIT_ARCH_X86_64;
  data.instruction_pointer = regs.rip;
  for (int i = 0; i < 6; ++i) data.args[i] = args.a[i];
  const SeccompFilter* matched = nullptr;
  uint32_t r = kernel::RunSeccompFilters(*t.seccomp.filter, data, &matched);
  uint32_t action = r & SECCOMP_RET_ACTION_FULL, value = r & SECCOMP_RET_DATA;
  switch (action) {
    case SECCOMP_RET_ALLOW:
      return false;
    case SECCOMP_RET_LOG:
      LOG_INFO("seccomp: task %d syscall %lu logged", t.tid(), args.nr);
      return false;
    case SECCOMP_RET_ERRNO:
      *ret = -static_cast<int64_t>(value > kMaxErrno ? kMaxErrno : value);
      return true;
    case SECCOMP_RET_TRACE:       // no tracer can exist in the sandbox
    case SECCOMP_RET_USER_NOTIF:  // no listener can exist
      *ret = -static_cast<int64_t>(ENOSYS);
      return true;
    case SECCOMP_RET_TRAP:
      if (matched && matched->log)
        LOG_INFO("seccomp: task %d syscall %lu trapped", t.tid(), args.nr);
      // syscall_rollback(): the handler sees rax = the syscall number.
      *ret = static_cast<int64_t>(regs.orig_rax);
      SendSigsys(t, args, value, /*fatal=*/false);
      return true;
    case SECCOMP_RET_KILL_THREAD:
    default: {
      // KILL_PROCESS, and any unknown action, as Linux.
      LOG_INFO("seccomp: task %d killed by syscall %lu (action %#x)", t.tid(), args.nr, action);
      // KILL_THREAD ends only this thread while others live; otherwise
      // the process dies of a SIGSYS no handler can catch.
      if (action == SECCOMP_RET_KILL_THREAD && LiveThreads(t) > 1)
        KillThread(t, SIGSYS);
      else
        SendSigsys(t, args, value, /*fatal=*/true);
      *ret = static_cast<int64_t>(regs.orig_rax);
      return true;
    }
  }
}

}  // namespace bulwark::syscalls
