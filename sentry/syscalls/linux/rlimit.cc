// Resource limits. Limits are stored per thread group; enforcement is up to
// the subsystems that read them (RLIMIT_NOFILE, RLIMIT_STACK at exec, ...).
#include <linux/capability.h>

#include <optional>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_rlimit.h"

namespace bulwark::syscalls {

namespace {

constexpr uint64_t kNrOpen = 1048576;  // fs.nr_open

// do_prlimit(): validates and applies `new_limit`, returns the old limit.
SysResult<kernel::Rlimit> DoPrlimit(Task& t, kernel::ThreadGroup& tg, unsigned resource,
                                    const std::optional<kernel::Rlimit>& new_limit) {
  if (resource >= RLIM_NLIMITS) return Err(Errno::kEINVAL);
  kernel::Rlimit& cur = tg.rlimits[resource];
  kernel::Rlimit old = cur;
  if (new_limit) {
    if (new_limit->cur > new_limit->max) return Err(Errno::kEINVAL);
    if (resource == RLIMIT_NOFILE && new_limit->max > kNrOpen) return Err(Errno::kEPERM);
    if (new_limit->max > cur.max && !t.creds().HasCap(CAP_SYS_RESOURCE))
      return Err(Errno::kEPERM);
    cur = *new_limit;
  }
  return old;
}

}  // namespace

SysResult<void> sys_getrlimit(Task& t, unsigned resource, UserPtr<struct rlimit> rlim) {
  kernel::Rlimit r = TRY(DoPrlimit(t, t.tg(), resource, std::nullopt));
  return t.CopyOut(rlim, rlimit{r.cur, r.max});
}

SysResult<void> sys_setrlimit(Task& t, unsigned resource, UserPtr<struct rlimit> rlim) {
  rlimit in = TRY(t.CopyIn(rlim));
  TRY(DoPrlimit(t, t.tg(), resource, kernel::Rlimit{in.rlim_cur, in.rlim_max}));
  return {};
}

SysResult<void> sys_prlimit64(Task& t, pid_t pid, unsigned resource,
                              UserPtr<struct rlimit> new_rlim, UserPtr<struct rlimit> old_rlim) {
  std::optional<kernel::Rlimit> new_limit;
  if (!new_rlim.null()) {
    rlimit in = TRY(t.CopyIn(new_rlim));
    new_limit = kernel::Rlimit{in.rlim_cur, in.rlim_max};
  }
  kernel::Task* target = pid == 0 ? &t : t.kernel().TaskByTid(pid);
  if (target == nullptr) return Err(Errno::kESRCH);
  if (target != &t) {
    // check_prlimit_permission(): the caller's real ids must match all of
    // the target's, or the caller needs CAP_SYS_RESOURCE.
    const kernel::Credentials& c = t.creds();
    const kernel::Credentials& tc = target->creds();
    bool same = c.ruid == tc.euid && c.ruid == tc.suid && c.ruid == tc.ruid &&
                c.rgid == tc.egid && c.rgid == tc.sgid && c.rgid == tc.rgid;
    if (!same && !c.HasCap(CAP_SYS_RESOURCE)) return Err(Errno::kEPERM);
  }
  kernel::Rlimit old = TRY(DoPrlimit(t, target->tg(), resource, new_limit));
  if (!old_rlim.null()) TRY(t.CopyOut(old_rlim, rlimit{old.cur, old.max}));
  return {};
}

}  // namespace bulwark::syscalls
