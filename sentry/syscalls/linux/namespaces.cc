// unshare(2) and setns(2). What a namespace is in the sandbox:
// sentry/kernel/namespaces.h.
//
// Only UTS and IPC namespaces can be created: they are the kinds whose
// state the sentry keeps per namespace (names; SysV tables). A new mount,
// network, pid, user, cgroup or time namespace would not isolate anything
// here, so asking for one fails with EINVAL (logged) rather than pretending
// (a deliberate difference from Linux, where privileged callers get one).
#include <linux/capability.h>
#include <sched.h>

#include "base/log.h"
#include "sentry/fsimpl/proc/ns.h"
#include "sentry/kernel/namespaces.h"
#include "sentry/syscalls/linux/sys_namespaces.h"

namespace bulwark::syscalls {

namespace {

using kernel::NsProxy;
using kernel::NsType;

constexpr uint64_t kNewNsFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                                 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME;
constexpr uint64_t kSupportedNewNs = CLONE_NEWUTS | CLONE_NEWIPC;

// A private copy of the task's namespace set, to modify (copy on write).
NsProxy& OwnNamespaces(Task& t) {
  const std::shared_ptr<NsProxy>& cur = kernel::NamespacesOf(t);
  if (t.nsproxy == nullptr || t.nsproxy.use_count() > 1) t.nsproxy = std::make_shared<NsProxy>(*cur);
  return *t.nsproxy;
}

}  // namespace

SysResult<void> sys_unshare(Task& t, uint64_t flags) {
  constexpr uint64_t kValid = CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES |
                              CLONE_SYSVSEM | kNewNsFlags;
  if (flags & ~kValid) return Err(Errno::kEINVAL);
  // ksys_unshare(): implied flags.
  if (flags & CLONE_NEWUSER) flags |= CLONE_THREAD | CLONE_FS;
  if (flags & CLONE_VM) flags |= CLONE_SIGHAND;
  if (flags & CLONE_SIGHAND) flags |= CLONE_THREAD;
  if (flags & CLONE_NEWNS) flags |= CLONE_FS;
  // check_unshare_flags(): a thread, its signal handlers and its memory can
  // be "unshared" only when nothing shares them.
  if ((flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) && t.tg().tasks.size() > 1)
    return Err(Errno::kEINVAL);
  if ((flags & CLONE_SIGHAND) && t.tg().handlers.use_count() > 1) return Err(Errno::kEINVAL);
  if ((flags & CLONE_VM) && t.mm_.use_count() > 1) return Err(Errno::kEINVAL);
  TRY(CheckNewNamespaces(t, flags, "unshare"));
  // CLONE_SYSVSEM: semaphore undo lists are not kept (sysv_sem.cc), so
  // there is nothing to detach.
  if ((flags & CLONE_FS) && t.fs_.use_count() > 1) t.fs_ = t.fs().Fork();
  if ((flags & CLONE_FILES) && t.fds_.use_count() > 1) t.fds_ = t.fds().Fork();
  EnterNewNamespaces(t, flags);
  return {};
}

SysResult<void> CheckNewNamespaces(const Task& t, uint64_t flags, const char* caller) {
  if ((flags & kNewNsFlags & ~CLONE_NEWUSER) && !t.creds().HasCap(CAP_SYS_ADMIN))
    return Err(Errno::kEPERM);
  if (flags & kNewNsFlags & ~kSupportedNewNs) {
    LOG_WARN("%s: namespace flags %#lx are not supported", caller,
             flags & kNewNsFlags & ~kSupportedNewNs);
    return Err(Errno::kEINVAL);
  }
  return {};
}

void EnterNewNamespaces(Task& t, uint64_t flags) {
  if (!(flags & kSupportedNewNs)) return;
  NsProxy& ns = OwnNamespaces(t);
  if (flags & CLONE_NEWUTS) {
    std::string host = kernel::HostnameOf(t), domain = kernel::DomainnameOf(t);
    auto uts = kernel::NewNamespace(NsType::kUts);
    uts->hostname = std::move(host);
    uts->domainname = std::move(domain);
    ns.ns[static_cast<int>(NsType::kUts)] = std::move(uts);
  }
  if (flags & CLONE_NEWIPC) ns.ns[static_cast<int>(NsType::kIpc)] = kernel::NewNamespace(NsType::kIpc);
}

// setns(2) with a namespace file. A pidfd (Linux 5.8) is not accepted:
// EINVAL. Joining needs CAP_SYS_ADMIN (in the target's owning user
// namespace: there is one here).
SysResult<void> sys_setns(Task& t, GuestFd fd, int nstype) {
  std::shared_ptr<vfs::FileDescription> file = TRY(t.fds().Get(fd.value));
  auto* nsf = dynamic_cast<fsimpl::proc::NsFile*>(file.get());
  if (nsf == nullptr) return Err(Errno::kEINVAL);
  const std::shared_ptr<kernel::Namespace>& target = nsf->ns();
  if (nstype != 0 && nstype != kernel::NsCloneFlag(target->type)) return Err(Errno::kEINVAL);
  if (!t.creds().HasCap(CAP_SYS_ADMIN)) return Err(Errno::kEPERM);
  // A multithreaded process may not change its user namespace; the mount
  // namespace needs its own fs context (setns(2) ERRORS).
  if (target->type == NsType::kUser && t.tg().tasks.size() > 1) return Err(Errno::kEINVAL);
  const std::shared_ptr<NsProxy>& cur = kernel::NamespacesOf(t);
  if (cur->ns[static_cast<int>(target->type)] == target) return {};
  OwnNamespaces(t).ns[static_cast<int>(target->type)] = target;
  return {};
}

}  // namespace bulwark::syscalls
