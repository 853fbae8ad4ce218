// prctl(2), arch_prctl(2) and personality(2).
#include <asm/prctl.h>
#include <linux/capability.h>
#include <signal.h>

#include <algorithm>
#include <cstring>

#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_prctl.h"
#include "sentry/syscalls/linux/sys_seccomp.h"

namespace bulwark::syscalls {

namespace {

constexpr size_t kTaskCommLen = 16;
constexpr int kCapLastCap = 40;  // CAP_CHECKPOINT_RESTORE in Linux 6.1
constexpr uint64_t kTaskSizeMax = 0x7ffffffff000;

bool ValidCap(uint64_t cap) { return cap <= kCapLastCap; }

// strncpy_from_user of at most 15 bytes: a longer name is truncated, and
// the string need not be NUL-terminated within them.
SysResult<std::string> CopyInComm(Task& t, uint64_t addr) {
  std::string name;
  for (size_t i = 0; i < kTaskCommLen - 1; ++i) {
    char c = TRY(t.CopyIn(UserPtr<char>{addr + i}));
    if (c == '\0') break;
    name.push_back(c);
  }
  return name;
}

}  // namespace

// Options not listed here fail with EINVAL, as unknown options do in Linux.
SysResult<int> sys_prctl(Task& t, int option, uint64_t arg2, uint64_t arg3, uint64_t arg4,
                         uint64_t arg5) {
  kernel::Credentials& c = t.creds();
  switch (option) {
    case PR_SET_PDEATHSIG:
      if (arg2 > kernel::kNumSignals) return Err(Errno::kEINVAL);
      t.pdeathsig = static_cast<int>(arg2);
      return 0;
    case PR_GET_PDEATHSIG:
      TRY(t.CopyOut(UserPtr<int>{arg2}, t.pdeathsig));
      return 0;
    case PR_GET_DUMPABLE:
      return t.mm().dumpable;
    case PR_SET_DUMPABLE:
      if (arg2 != 0 && arg2 != 1) return Err(Errno::kEINVAL);
      t.mm().dumpable = static_cast<int>(arg2);
      return 0;
    case PR_GET_KEEPCAPS:
      return c.keep_caps ? 1 : 0;
    case PR_SET_KEEPCAPS:
      if (arg2 > 1) return Err(Errno::kEINVAL);
      c.keep_caps = arg2 != 0;
      return 0;
    case PR_SET_NAME:
      t.comm = TRY(CopyInComm(t, arg2));
      return 0;
    case PR_GET_NAME: {
      char name[kTaskCommLen] = {};
      memcpy(name, t.comm.data(), std::min(t.comm.size(), kTaskCommLen - 1));
      TRY(t.CopyOutBytes(arg2, name, sizeof(name)));
      return 0;
    }
    case PR_GET_SECCOMP:
      // In strict mode prctl is itself refused (SIGKILL) before this.
      return t.seccomp.mode;
    case PR_SET_SECCOMP:
      return static_cast<int>(TRY(SetSeccompModeFromPrctl(t, arg2, UserPtr<sock_fprog>{arg3})));
    case PR_CAPBSET_READ:
      if (!ValidCap(arg2)) return Err(Errno::kEINVAL);
      return (c.cap_bounding >> arg2) & 1;
    case PR_CAPBSET_DROP:
      if (!c.HasCap(CAP_SETPCAP)) return Err(Errno::kEPERM);
      if (!ValidCap(arg2)) return Err(Errno::kEINVAL);
      c.cap_bounding &= ~(uint64_t{1} << arg2);
      return 0;
    case PR_SET_CHILD_SUBREAPER:
      t.tg().child_subreaper = arg2 != 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      TRY(t.CopyOut(UserPtr<int>{arg2}, t.tg().child_subreaper ? 1 : 0));
      return 0;
    case PR_SET_NO_NEW_PRIVS:
      if (arg2 != 1 || arg3 || arg4 || arg5) return Err(Errno::kEINVAL);
      t.no_new_privs = true;
      return 0;
    case PR_SET_TIMERSLACK:
      // Recorded only: the sentry's timers do not coalesce wake-ups.
      t.sched.timer_slack_ns = arg2 == 0 ? t.sched.default_timer_slack_ns : arg2;
      return 0;
    case PR_GET_TIMERSLACK:
      return static_cast<int>(std::min<uint64_t>(t.sched.timer_slack_ns, INT32_MAX));
    case PR_GET_NO_NEW_PRIVS:
      if (arg2 || arg3 || arg4 || arg5) return Err(Errno::kEINVAL);
      return t.no_new_privs ? 1 : 0;
    default:
      return Err(Errno::kEINVAL);
  }
}

// CPUID faulting is not available (as on hardware without it): cpuid always
// runs, and ARCH_SET_CPUID fails with ENODEV. The XSAVE feature
// permission calls (ARCH_*_XCOMP_*) and the x32/vDSO codes are EINVAL.
SysResult<int> sys_arch_prctl(Task& t, int code, uint64_t addr) {
  auto& r = t.regs().regs;
  switch (code) {
    case ARCH_SET_FS:
      if (addr >= kTaskSizeMax) return Err(Errno::kEPERM);
      r.fs_base = addr;
      r.fs = 0;
      return 0;
    case ARCH_SET_GS:
      if (addr >= kTaskSizeMax) return Err(Errno::kEPERM);
      r.gs_base = addr;
      r.gs = 0;
      return 0;
    case ARCH_GET_FS:
      TRY(t.CopyOut(UserPtr<uint64_t>{addr}, static_cast<uint64_t>(r.fs_base)));
      return 0;
    case ARCH_GET_GS:
      TRY(t.CopyOut(UserPtr<uint64_t>{addr}, static_cast<uint64_t>(r.gs_base)));
      return 0;
    case ARCH_GET_CPUID:
      return 1;
    case ARCH_SET_CPUID:
      return Err(Errno::kENODEV);
    default:
      return Err(Errno::kEINVAL);
  }
}

// ksys_personality(): 0xffffffff only queries; any other value is taken
// as is (Linux has had no execution domains to check since 4.1). Returns
// the previous persona.
SysResult<uint64_t> sys_personality(Task& t, uint32_t persona) {
  uint32_t old = t.personality;
  if (persona != 0xffffffff) t.personality = persona;
  return old;
}

}  // namespace bulwark::syscalls
