// clone(2), clone3(2), fork(2), vfork(2).
#include <linux/sched.h>

#include <cstring>
#include <vector>

#include "base/log.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_namespaces.h"
#include "sentry/syscalls/linux/sys_process.h"
#include "sentry/syscalls/linux/sys_sched.h"

namespace bulwark::syscalls {

namespace {

using kernel::ThreadGroup;

struct CloneRequest {
  uint64_t flags = 0;
  int exit_signal = SIGCHLD;
  uint64_t stack = 0;
  UserPtr<pid_t> parent_tid, child_tid;
  UserPtr<int> pidfd;  // CLONE_PIDFD: where the parent's pidfd number goes
  uint64_t tls = 0;
};

constexpr uint64_t kCloneClearSighand = 0x100000000ULL;  // CLONE_CLEAR_SIGHAND (clone3 only)
constexpr uint64_t kNewNsFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                                 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP;

constexpr uint64_t kSupportedFlags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PTRACE | CLONE_VFORK |
    CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
    CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_IO |
    CLONE_PIDFD | kCloneClearSighand | kNewNsFlags;

// RLIMIT_NPROC counts the tasks (threads included) of the real uid. Real
// uid 0 and CAP_SYS_RESOURCE/CAP_SYS_ADMIN holders are exempt (copy_process:
// `user != INIT_USER && !capable(...)`).
bool OverProcessLimit(Task& t) {
  if (t.creds().ruid == 0 || t.creds().HasCap(CAP_SYS_RESOURCE) ||
      t.creds().HasCap(CAP_SYS_ADMIN)) {
    return false;
  }
  uint64_t n = 0;
  for (auto& [pid, tg] : t.kernel().thread_groups())
    if (!tg->tasks.empty() && tg->tasks.front()->creds().ruid == t.creds().ruid) n += tg->tasks.size();
  return n >= t.tg().rlimits[RLIMIT_NPROC].cur;
}

SysResult<pid_t> DoClone(Task& t, const CloneRequest& req) {
  uint64_t f = req.flags;
  // clone(2) ERRORS: flag combinations that are invalid (copy_process).
  if ((f & CLONE_SIGHAND) && !(f & CLONE_VM)) return Err(Errno::kEINVAL);
  if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND)) return Err(Errno::kEINVAL);
  if ((f & CLONE_FS) && (f & CLONE_NEWNS)) return Err(Errno::kEINVAL);
  if ((f & (CLONE_NEWUSER | CLONE_NEWPID)) && (f & (CLONE_THREAD | CLONE_PARENT)))
    return Err(Errno::kEINVAL);
  // CLONE_PIDFD: not for threads, not with the ignored CLONE_DETACHED
  // (copy_process); a thread pidfd comes from pidfd_open(PIDFD_THREAD).
  if ((f & CLONE_PIDFD) && (f & (CLONE_THREAD | CLONE_DETACHED))) return Err(Errno::kEINVAL);
  if ((f & kCloneClearSighand) && (f & CLONE_SIGHAND)) return Err(Errno::kEINVAL);
  // Init may not create siblings (SIGNAL_UNKILLABLE).
  if ((f & CLONE_PARENT) && t.tg().parent == nullptr) return Err(Errno::kEINVAL);
  if (f & ~kSupportedFlags) {
    LOG_WARN("clone: unsupported flags %#lx", f & ~kSupportedFlags);
    return Err(Errno::kEINVAL);
  }
  TRY(CheckNewNamespaces(t, f & kNewNsFlags, "clone"));
  if (f & CLONE_PIDFD) TRY(CheckFdAvailable(t));
  auto& k = t.kernel();
  ThreadGroup& ptg = t.tg();
  // A dying process or one whose threads execve is killing creates no
  // task; the caller leaves on its way back (fatal_signal_pending).
  if (ptg.exiting || t.exiting || ptg.exec_task != nullptr) return Err(Errno::kERESTARTNOINTR);
  pid_t tid = k.AllocPid();
  if (tid < 0) return Err(Errno::kEAGAIN);
  if (OverProcessLimit(t)) return Err(Errno::kEAGAIN);
  // The pids cgroup's check (pids_can_fork), on the sandbox's own tasks.
  if (k.AtPidsLimit()) return Err(Errno::kEAGAIN);

  bool thread = (f & CLONE_THREAD) != 0;
  std::shared_ptr<ThreadGroup> tg;
  if (thread) {
    tg = t.tg_ptr();
  } else {
    tg = std::make_shared<ThreadGroup>(tid);
    tg->pgid = ptg.pgid;
    tg->sid = ptg.sid;
    tg->parent = (f & CLONE_PARENT) && ptg.parent ? ptg.parent : &ptg;
    tg->exit_signal = (f & CLONE_PARENT) ? ptg.exit_signal : req.exit_signal;
    tg->rlimits = ptg.rlimits;
    tg->nice = ptg.nice;
    tg->exe = ptg.exe;
    tg->exe_deny = ptg.exe_deny;
    tg->start_time_ns = k.UptimeNs();
    if (f & CLONE_SIGHAND)
      tg->handlers = ptg.handlers;
    else
      *tg->handlers = *ptg.handlers;
    if (f & kCloneClearSighand) tg->handlers->Flush();
  }

  auto child = std::make_unique<Task>(k, tid, tg);
  // CLONE_VM (threads, vfork, and processes sharing memory): the same
  // MemoryManager, hence the same platform address space.
  child->mm_ = (f & CLONE_VM) ? t.mm_ : t.mm().Fork();
  child->fds_ = (f & CLONE_FILES) ? t.fds_ : t.fds().Fork();
  child->fs_ = (f & CLONE_FS) ? t.fs_ : t.fs().Fork();
  child->creds() = t.creds();
  child->sigmask = t.sigmask;
  child->comm = t.comm;
  child->no_new_privs = t.no_new_privs;
  child->seccomp = t.seccomp;  // copy_seccomp()
  child->personality = t.personality;
  child->cpu_affinity = t.cpu_affinity;  // pdeathsig starts cleared
  InheritSchedState(t, *child);
  child->nsproxy = t.nsproxy;
  EnterNewNamespaces(*child, f);
  // A new thread sharing the address space starts without an alternate
  // signal stack; fork and vfork children inherit it (sigaltstack(2)).
  if (!((f & CLONE_VM) && !(f & CLONE_VFORK))) child->altstack = t.altstack;
  child->regs() = t.regs();
  if (t.context) (void)t.context->GetFpState(child->fp());
  child->fp_dirty = true;
  auto& cr = child->regs().regs;
  cr.rax = 0;
  if (req.stack != 0) cr.rsp = req.stack;
  if (f & CLONE_SETTLS) cr.fs_base = req.tls;
  if (f & CLONE_CHILD_CLEARTID) child->clear_child_tid = req.child_tid.addr;
  if (f & CLONE_CHILD_SETTID) {
    auto r = child->mm().CopyOut(req.child_tid.addr, &tid, sizeof(tid));
    if (!r) return Err(r.error());
  }
  if (f & CLONE_PARENT_SETTID) TRY(t.CopyOut(req.parent_tid, tid));
  if (f & CLONE_PIDFD) {
    // Installed in the parent's table after the child's copy of it
    // (copy_files() comes first), so a child without CLONE_FILES lacks it.
    auto pidfd = std::make_shared<kernel::PidFdFile>(tg, 0, 0);
    int fd = TRY(t.fds().Install(std::move(pidfd), /*cloexec=*/true, FdLimit(t)));
    if (auto r = t.CopyOut(req.pidfd, fd); !r) {
      (void)t.fds().Remove(fd);
      return Err(r.error());
    }
  }

  if (!thread) {
    tg->parent->children.push_back(tg);
    k.AddThreadGroup(tg);
  }
  bool vfork = (f & CLONE_VFORK) != 0;
  if (vfork) child->vfork_parent = t.tg_ptr();
  Task* raw = child.get();
  k.StartTask(std::move(child));

  if (vfork) {
    // The parent waits until the child execs or exits. The wait is only
    // killable (vfork(2)): other signals stay pending until it ends.
    kernel::SigSet saved = t.sigmask;
    t.sigmask = ~kernel::SigSet{0};
    t.tg().vfork_done.Add(&t);
    while (k.TaskByTid(tid) == raw && !raw->vfork_done && !t.tg().exiting && !t.exiting)
      (void)t.Block(nullptr);
    t.tg().vfork_done.Remove(&t);
    t.sigmask = saved;
  }
  return tid;
}

}  // namespace

SysResult<pid_t> sys_clone(Task& t, uint64_t flags, uint64_t stack, UserPtr<pid_t> parent_tid,
                           UserPtr<pid_t> child_tid, uint64_t tls) {
  CloneRequest req;
  req.flags = flags & ~uint64_t{0xff};
  req.exit_signal = static_cast<int>(flags & 0xff);
  if (req.exit_signal > kernel::kNumSignals) return Err(Errno::kEINVAL);
  req.stack = stack;
  req.parent_tid = parent_tid;
  req.child_tid = child_tid;
  req.tls = tls;
  // clone(2) has no clone3-only flags; CLONE_PIDFD's fd goes to the
  // parent_tid argument, so it cannot be combined with CLONE_PARENT_SETTID.
  if (req.flags & ~uint64_t{0xffffffff}) return Err(Errno::kEINVAL);
  if (req.flags & CLONE_PIDFD) {
    if (req.flags & CLONE_PARENT_SETTID) return Err(Errno::kEINVAL);
    req.pidfd = UserPtr<int>{parent_tid.addr};
  }
  return DoClone(t, req);
}

SysResult<pid_t> sys_clone3(Task& t, UserPtr<uint8_t> uargs, size_t size) {
  struct clone_args args{};
  if (size < CLONE_ARGS_SIZE_VER0 || size > 4096) return Err(Errno::kEINVAL);
  std::vector<uint8_t> buf(size);
  TRY(t.CopyInBytes(uargs.addr, buf.data(), size));
  // Bytes beyond what we know must be zero (copy_struct_from_user).
  for (size_t i = sizeof(args); i < size; ++i)
    if (buf[i] != 0) return Err(Errno::kE2BIG);
  std::memcpy(&args, buf.data(), std::min(size, sizeof(args)));
  if (args.set_tid_size != 0 || args.cgroup != 0) return Err(Errno::kEINVAL);
  // clone3_args_valid(): the exit signal has its own field, and the
  // ignored CLONE_DETACHED bit is reserved.
  if (args.flags & (CLONE_DETACHED | (0xff & ~uint64_t{0x80 /* CLONE_NEWTIME */})))
    return Err(Errno::kEINVAL);
  if (args.exit_signal > static_cast<uint64_t>(kernel::kNumSignals)) return Err(Errno::kEINVAL);
  if ((args.stack == 0) != (args.stack_size == 0)) return Err(Errno::kEINVAL);
  if ((args.flags & (CLONE_THREAD | CLONE_PARENT)) && args.exit_signal != 0)
    return Err(Errno::kEINVAL);
  CloneRequest req;
  req.flags = args.flags;
  req.exit_signal = static_cast<int>(args.exit_signal);
  req.stack = args.stack ? args.stack + args.stack_size : 0;
  req.parent_tid = UserPtr<pid_t>{args.parent_tid};
  req.child_tid = UserPtr<pid_t>{args.child_tid};
  req.tls = args.tls;
  req.pidfd = UserPtr<int>{args.pidfd};
  return DoClone(t, req);
}

SysResult<pid_t> sys_fork(Task& t) {
  CloneRequest req;
  return DoClone(t, req);
}

SysResult<pid_t> sys_vfork(Task& t) {
  CloneRequest req;
  req.flags = CLONE_VM | CLONE_VFORK;
  return DoClone(t, req);
}

}  // namespace bulwark::syscalls
