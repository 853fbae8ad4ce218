// set_tid_address(2) and the robust futex list registration. The kernel
// acts on them at thread exit (clear_child_tid wake, robust list walk).
#include <linux/capability.h>

#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/linux/sys_thread_state.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kRobustListHeadSize = 24;  // struct robust_list_head

// ptrace_may_access(PTRACE_MODE_READ_REALCREDS) for another process.
bool MayReadTask(const Task& t, const Task& target) {
  if (target.tgid() == t.tgid()) return true;
  const kernel::Credentials& c = t.creds();
  const kernel::Credentials& tc = target.creds();
  if (c.HasCap(CAP_SYS_PTRACE)) return true;
  bool same = c.ruid == tc.euid && c.ruid == tc.suid && c.ruid == tc.ruid &&
              c.rgid == tc.egid && c.rgid == tc.sgid && c.rgid == tc.rgid;
  return same && target.mm_ && target.mm().dumpable == 1;
}

}  // namespace

SysResult<pid_t> sys_set_tid_address(Task& t, uint64_t tidptr) {
  t.clear_child_tid = tidptr;
  return t.tid();
}

SysResult<void> sys_set_robust_list(Task& t, uint64_t head, size_t len) {
  if (len != kRobustListHeadSize) return Err(Errno::kEINVAL);
  t.robust_list = head;
  t.robust_list_len = len;
  return {};
}

SysResult<void> sys_get_robust_list(Task& t, pid_t pid, UserPtr<uint64_t> head_ptr,
                                    UserPtr<size_t> len_ptr) {
  const Task* target = &t;
  if (pid != 0) {
    target = t.kernel().TaskByTid(pid);
    if (target == nullptr) return Err(Errno::kESRCH);
    if (!MayReadTask(t, *target)) return Err(Errno::kEPERM);
  }
  TRY(t.CopyOut(len_ptr, size_t{kRobustListHeadSize}));
  return t.CopyOut(head_ptr, target->robust_list);
}

}  // namespace bulwark::syscalls
