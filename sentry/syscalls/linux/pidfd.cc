// pidfds: pidfd_open(2), pidfd_send_signal(2), pidfd_getfd(2). The file is
// kernel/pidfd.h; waitid(P_PIDFD) is in wait.cc.
#include <linux/capability.h>
#include <sys/pidfd.h>

#include "sentry/fsimpl/proc/procfs.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/signal_ops.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_pidfd.h"
#include "sentry/syscalls/linux/sys_signal.h"

namespace bulwark::syscalls {

namespace {

constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD (Linux 6.9)

// ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): the caller's real ids
// match all of the target's, and the target is dumpable; or the caller has
// CAP_SYS_PTRACE.
bool MayAttach(const Task& caller, const kernel::Task& target) {
  const kernel::Credentials& c = caller.creds();
  if (c.HasCap(CAP_SYS_PTRACE)) return true;
  const kernel::Credentials& tc = target.creds();
  bool ids = c.ruid == tc.ruid && c.ruid == tc.euid && c.ruid == tc.suid && c.rgid == tc.rgid &&
             c.rgid == tc.egid && c.rgid == tc.sgid;
  return ids && target.mm_ && target.mm().dumpable == 1;
}

}  // namespace

SysResult<std::shared_ptr<kernel::PidFdFile>> PidFdAt(Task& t, int fd) {
  std::shared_ptr<vfs::FileDescription> file = TRY(t.fds().Get(fd));
  auto pidfd = std::dynamic_pointer_cast<kernel::PidFdFile>(file);
  if (!pidfd) return Err(Errno::kEBADF);
  return pidfd;
}

SysResult<int> sys_pidfd_open(Task& t, pid_t pid, unsigned flags) {
  if (flags & ~(PIDFD_NONBLOCK | kPidfdThread) || pid <= 0) return Err(Errno::kEINVAL);
  kernel::Kernel& k = t.kernel();
  std::shared_ptr<kernel::ThreadGroup> tg;
  pid_t tid = 0;
  if (flags & kPidfdThread) {
    kernel::Task* th = k.TaskByTid(pid);
    if (th != nullptr) {
      tg = th->tg_ptr();
      tid = pid;
    } else if ((tg = k.ThreadGroupByPid(pid))) {
      tid = pid;  // an exited leader of a zombie: the pidfd is readable at once
    }
  } else {
    tg = k.ThreadGroupByPid(pid);
    // A thread that is not a process leader has no process pidfd.
    if (!tg && k.TaskByTid(pid) != nullptr) return Err(Errno::kEINVAL);
  }
  if (!tg) return Err(Errno::kESRCH);
  TRY(CheckFdAvailable(t));
  auto file = std::make_shared<kernel::PidFdFile>(std::move(tg), tid,
                                                  static_cast<int>(flags & PIDFD_NONBLOCK));
  return t.fds().Install(std::move(file), /*cloexec=*/true, FdLimit(t));
}

// flags must be 0 (the Linux 6.9 PIDFD_SIGNAL_* scopes are not accepted);
// a thread pidfd signals its thread, a process pidfd its process.
SysResult<void> sys_pidfd_send_signal(Task& t, GuestFd pidfd, int sig, UserPtr<siginfo_t> uinfo,
                                      unsigned flags) {
  if (flags != 0) return Err(Errno::kEINVAL);
  std::shared_ptr<kernel::PidFdFile> file;
  if (auto f = PidFdAt(t, pidfd.value)) {
    file = std::move(*f);
  } else {
    // An fd of a /proc/<pid> directory names that process too
    // (tgid_pidfd_to_pid()); ESRCH once it has been reaped.
    std::shared_ptr<vfs::FileDescription> any = TRY(t.fds().Get(pidfd.value));
    std::optional<pid_t> pid;
    if (any->path().valid()) pid = fsimpl::proc::ProcessOfPidDir(any->path().ino());
    if (!pid) return Err(f.error());
    auto tg = t.kernel().ThreadGroupByPid(*pid);
    if (!tg) return Err(Errno::kESRCH);
    file = std::make_shared<kernel::PidFdFile>(std::move(tg), 0, 0);
  }
  if (sig < 0 || sig > kernel::kNumSignals) return Err(Errno::kEINVAL);
  kernel::PidFdFile& p = *file;
  kernel::ThreadGroup& tg = *p.tg();
  siginfo_t info;
  if (uinfo.null()) {
    info = kernel::MakeSigInfo(sig, SI_USER, t.tgid(), t.creds().ruid);
  } else {
    info = TRY(t.CopyIn(uinfo));
    if (info.si_signo != sig) return Err(Errno::kEINVAL);
    // Only the kernel may send SI_USER/SI_KERNEL-coded info to other
    // processes (as rt_sigqueueinfo).
    if ((info.si_code >= 0 || info.si_code == SI_TKILL) && &tg != &t.tg())
      return Err(Errno::kEPERM);
  }
  // Reaped (or, for a thread, gone): ESRCH. A zombie takes the signal and
  // nothing happens, as kill(2).
  if (t.kernel().ThreadGroupByPid(tg.tgid).get() != &tg) return Err(Errno::kESRCH);
  kernel::Task* target = p.LiveTask();
  if (p.thread() && target == nullptr) return Err(Errno::kESRCH);
  if (!MaySignal(t, tg)) return Err(Errno::kEPERM);
  if (sig == 0 || target == nullptr) return {};
  if (p.thread())
    kernel::SendThreadSignal(*target, info);
  else
    kernel::SendGroupSignal(tg, info);
  return {};
}

SysResult<int> sys_pidfd_getfd(Task& t, GuestFd pidfd, int targetfd, unsigned flags) {
  if (flags != 0) return Err(Errno::kEINVAL);
  auto file = TRY(PidFdAt(t, pidfd.value));
  kernel::Task* target = file->LiveTask();
  if (target == nullptr || !target->fds_) return Err(Errno::kESRCH);
  if (!MayAttach(t, *target)) return Err(Errno::kEPERM);
  std::shared_ptr<vfs::FileDescription> f = TRY(target->fds().Get(targetfd));
  TRY(CheckFdAvailable(t));
  return t.fds().Install(std::move(f), /*cloexec=*/true, FdLimit(t));
}

}  // namespace bulwark::syscalls
