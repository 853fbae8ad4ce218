// Scheduling syscalls. The sandbox has no scheduler of its own: tasks are
// host threads, so policies and priorities are recorded and reported, not
// applied to the host.
#include <linux/capability.h>
#include <linux/sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_sched.h"

namespace bulwark::syscalls {

namespace {

constexpr int kMinNice = -20, kMaxNice = 19;

// Bytes of the kernel's cpumask (nr_cpu_ids bits in whole longs).
size_t MaskBytes(int ncpus) { return (ncpus + 63) / 64 * 8; }

// The mask of `target` limited to the sandbox's CPUs, in bytes.
std::vector<uint8_t> AffinityOf(const kernel::Task& target, int ncpus) {
  std::vector<uint8_t> out(MaskBytes(ncpus));
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    size_t word = cpu / 64;
    bool set = target.cpu_affinity.empty() ||
               (word < target.cpu_affinity.size() && ((target.cpu_affinity[word] >> (cpu % 64)) & 1));
    if (set) out[cpu / 8] |= uint8_t(1) << (cpu % 8);
  }
  return out;
}

SysResult<kernel::Task*> FindTask(Task& t, pid_t pid) {
  if (pid == 0) return &t;
  kernel::Task* target = pid > 0 ? t.kernel().TaskByTid(pid) : nullptr;
  if (target == nullptr) return Err(Errno::kESRCH);
  return target;
}

// Thread groups selected by getpriority/setpriority's (which, who).
SysResult<std::vector<kernel::ThreadGroup*>> PriorityTargets(Task& t, int which, int who) {
  std::vector<kernel::ThreadGroup*> out;
  switch (which) {
    case PRIO_PROCESS: {
      if (who == 0) {
        out.push_back(&t.tg());
      } else if (kernel::Task* target = who > 0 ? t.kernel().TaskByTid(who) : nullptr) {
        out.push_back(&target->tg());
      }
      break;
    }
    case PRIO_PGRP: {
      pid_t pgid = who == 0 ? t.tg().pgid : who;
      for (const auto& [pid, tg] : t.kernel().thread_groups())
        if (tg->pgid == pgid && !tg->tasks.empty()) out.push_back(tg.get());
      break;
    }
    case PRIO_USER: {
      uid_t uid = who == 0 ? t.creds().ruid : static_cast<uid_t>(who);
      for (const auto& [pid, tg] : t.kernel().thread_groups())
        if (tg->Leader() != nullptr && tg->Leader()->creds().ruid == uid) out.push_back(tg.get());
      break;
    }
    default:
      return Err(Errno::kEINVAL);
  }
  return out;
}

// Read at program start: later, the sentry cannot see /sys, and glibc falls
// back to the calling thread's affinity, which the ptrace platform pins.
const int kHostCpus = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));

}  // namespace

int SandboxCpuCount(kernel::Kernel& k) {
  int n = k.opts().num_cpus;
  return n > 0 ? n : kHostCpus;
}

SysResult<void> sys_sched_yield(Task& t) {
  t.Unlocked([] { ::sched_yield(); });
  return {};
}

SysResult<int> sys_sched_getaffinity(Task& t, pid_t pid, unsigned len, UserPtr<uint8_t> mask) {
  int ncpus = SandboxCpuCount(t.kernel());
  if (uint64_t{len} * 8 < static_cast<uint64_t>(ncpus) || len % sizeof(uint64_t) != 0)
    return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  std::vector<uint8_t> bytes = AffinityOf(*target, ncpus);
  TRY(t.CopyOutBytes(mask.addr, bytes.data(), bytes.size()));
  return static_cast<int>(bytes.size());
}

SysResult<void> sys_sched_setaffinity(Task& t, pid_t pid, unsigned len, UserPtr<uint8_t> mask) {
  int ncpus = SandboxCpuCount(t.kernel());
  std::vector<uint8_t> bytes(MaskBytes(ncpus));
  TRY(t.CopyInBytes(mask.addr, bytes.data(), std::min<size_t>(len, bytes.size())));
  kernel::Task* target = TRY(FindTask(t, pid));
  const kernel::Credentials& c = t.creds();
  const kernel::Credentials& tc = target->creds();
  if (c.euid != tc.euid && c.euid != tc.ruid && !c.HasCap(CAP_SYS_NICE))
    return Err(Errno::kEPERM);
  std::vector<uint64_t> words(bytes.size() / 8);
  bool any = false;
  for (int cpu = 0; cpu < ncpus; ++cpu) {
    if ((bytes[cpu / 8] >> (cpu % 8)) & 1) {
      words[cpu / 64] |= uint64_t{1} << (cpu % 64);
      any = true;
    }
  }
  if (!any) return Err(Errno::kEINVAL);
  target->cpu_affinity = std::move(words);
  return {};
}

// Linux keeps nice values per thread; here a process shares one (see
// ThreadGroup::nice). The raw syscall returns 20 - nice.
SysResult<int> sys_getpriority(Task& t, int which, int who) {
  auto targets = TRY(PriorityTargets(t, which, who));
  if (targets.empty()) return Err(Errno::kESRCH);
  int best = 0;
  for (const kernel::ThreadGroup* tg : targets) best = std::max(best, 20 - tg->nice);
  return best;
}

SysResult<void> sys_setpriority(Task& t, int which, int who, int niceval) {
  auto targets = TRY(PriorityTargets(t, which, who));
  niceval = std::clamp(niceval, kMinNice, kMaxNice);
  const kernel::Credentials& c = t.creds();
  // set_one_prio(): the last failure wins; a success only clears ESRCH.
  Errno error = Errno::kESRCH;
  bool failed = true;
  for (kernel::ThreadGroup* tg : targets) {
    const kernel::Task* leader = tg->Leader();
    const kernel::Credentials& tc = leader ? leader->creds() : c;
    if (tc.ruid != c.euid && tc.euid != c.euid && !c.HasCap(CAP_SYS_NICE)) {
      error = Errno::kEPERM;
      failed = true;
      continue;
    }
    uint64_t nice_rlim = static_cast<uint64_t>(20 - niceval);
    if (niceval < tg->nice && nice_rlim > tg->rlimits[RLIMIT_NICE].cur &&
        !c.HasCap(CAP_SYS_NICE)) {
      error = Errno::kEACCES;
      failed = true;
      continue;
    }
    tg->nice = niceval;
    if (error == Errno::kESRCH) failed = false;
  }
  if (failed) return Err(error);
  return {};
}

// --- Scheduling policies (sched(7)) ---
//
// Policies and priorities are checked as Linux's __sched_setscheduler()
// does, then recorded and reported; the sandbox's tasks are host threads
// scheduled by the host as SCHED_OTHER whatever they ask for (a deliberate
// difference: the sentry has no capability to change host policies, and
// real-time host threads could starve the sentry). SCHED_DEADLINE is not
// supported: EINVAL (EPERM without CAP_SYS_NICE, as Linux).

namespace {

constexpr int kSchedDeadline = 6;
constexpr int kMaxRtPrio = 99;
constexpr int kRrIntervalMs = 100;  // RR_TIMESLICE

bool RtPolicy(int p) { return p == SCHED_FIFO || p == SCHED_RR; }
bool ValidPolicy(int p) {
  return p == SCHED_OTHER || p == SCHED_BATCH || p == SCHED_IDLE || RtPolicy(p) ||
         p == kSchedDeadline;
}

// struct sched_attr (include/uapi/linux/sched/types.h), up to VER1.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t sched_util_min, sched_util_max;
};
static_assert(sizeof(SchedAttr) == 56);
constexpr uint32_t kSchedAttrSizeVer0 = 48;

struct SchedRequest {
  int policy = -1;  // -1: keep (sched_setparam, SCHED_FLAG_KEEP_POLICY)
  int priority = 0;
  bool keep_params = false;
  bool reset_on_fork = false;
  std::optional<int> nice;  // sched_setattr for fair policies
};

// __sched_setscheduler(): validation, permission (user_check without
// CAP_SYS_NICE), then the change.
SysResult<void> SetScheduler(Task& t, kernel::Task& target, SchedRequest req) {
  kernel::Task::SchedState& st = target.sched;
  int policy = req.policy < 0 ? st.policy : req.policy;
  if (!ValidPolicy(policy)) return Err(Errno::kEINVAL);
  int priority = req.keep_params ? st.priority : req.priority;
  if (priority < 0 || priority > kMaxRtPrio) return Err(Errno::kEINVAL);
  const kernel::Credentials& c = t.creds();
  bool privileged = c.HasCap(CAP_SYS_NICE);
  if (policy == kSchedDeadline) return Err(privileged ? Errno::kEINVAL : Errno::kEPERM);
  if (RtPolicy(policy) != (priority != 0)) return Err(Errno::kEINVAL);
  kernel::ThreadGroup& tg = target.tg();
  int nice = req.nice.value_or(tg.nice);
  if (!privileged) {
    auto can_nice = [&](int n) { return 20 - n <= static_cast<int64_t>(tg.rlimits[RLIMIT_NICE].cur); };
    if (!RtPolicy(policy) && nice < tg.nice && !can_nice(nice)) return Err(Errno::kEPERM);
    if (RtPolicy(policy)) {
      uint64_t rlim = tg.rlimits[RLIMIT_RTPRIO].cur;
      if (policy != st.policy && rlim == 0) return Err(Errno::kEPERM);
      if (priority > st.priority && static_cast<uint64_t>(priority) > rlim)
        return Err(Errno::kEPERM);
    }
    if (st.policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(tg.nice))
      return Err(Errno::kEPERM);
    const kernel::Credentials& tc = target.creds();
    if (c.euid != tc.euid && c.euid != tc.ruid) return Err(Errno::kEPERM);
    if (st.reset_on_fork && !req.reset_on_fork) return Err(Errno::kEPERM);
  }
  st.policy = policy;
  st.priority = priority;
  st.reset_on_fork = req.reset_on_fork;
  if (req.nice && !RtPolicy(policy)) tg.nice = *req.nice;
  return {};
}

SysResult<void> DoSetScheduler(Task& t, pid_t pid, int policy, UserPtr<sched_param> param) {
  if (param.null() || pid < 0) return Err(Errno::kEINVAL);
  sched_param p = TRY(t.CopyIn(param));
  kernel::Task* target = TRY(FindTask(t, pid));
  SchedRequest req;
  req.priority = p.sched_priority;
  if (policy < 0) {
    req.reset_on_fork = target->sched.reset_on_fork;
  } else {
    req.reset_on_fork = (policy & SCHED_RESET_ON_FORK) != 0;
    req.policy = policy & ~SCHED_RESET_ON_FORK;
  }
  return SetScheduler(t, *target, req);
}

}  // namespace

void InheritSchedState(const kernel::Task& parent, kernel::Task& child) {
  kernel::Task::SchedState st = parent.sched;
  st.default_timer_slack_ns = parent.sched.timer_slack_ns;
  if (st.reset_on_fork) {
    // sched_fork(): real-time and deadline policies fall back to
    // SCHED_OTHER, a negative nice to 0; the child does not keep the flag.
    if (RtPolicy(st.policy) || st.policy == kSchedDeadline) {
      st.policy = SCHED_OTHER;
      st.priority = 0;
    }
    if (&child.tg() != &parent.tg() && child.tg().nice < 0) child.tg().nice = 0;
    st.reset_on_fork = false;
  }
  child.sched = st;
}

SysResult<void> sys_sched_setscheduler(Task& t, pid_t pid, int policy, UserPtr<sched_param> param) {
  if (policy < 0) return Err(Errno::kEINVAL);
  return DoSetScheduler(t, pid, policy, param);
}

SysResult<void> sys_sched_setparam(Task& t, pid_t pid, UserPtr<sched_param> param) {
  return DoSetScheduler(t, pid, -1, param);
}

SysResult<void> sys_sched_getparam(Task& t, pid_t pid, UserPtr<sched_param> param) {
  if (param.null() || pid < 0) return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  sched_param p{};
  p.sched_priority = target->sched.priority;
  return t.CopyOut(param, p);
}

SysResult<int> sys_sched_getscheduler(Task& t, pid_t pid) {
  if (pid < 0) return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  return target->sched.policy | (target->sched.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
}

// Linux reports 0 for SCHED_FIFO, RR_TIMESLICE for SCHED_RR, and the fair
// scheduler's current slice for the others; with no scheduler of its own,
// the sandbox reports RR_TIMESLICE for those too.
SysResult<void> sys_sched_rr_get_interval(Task& t, pid_t pid, UserPtr<timespec> interval) {
  if (pid < 0) return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  timespec ts{0, 0};
  if (target->sched.policy != SCHED_FIFO) ts.tv_nsec = kRrIntervalMs * 1000000L;
  return t.CopyOut(interval, ts);
}

SysResult<void> sys_sched_setattr(Task& t, pid_t pid, UserPtr<uint8_t> uattr, unsigned flags) {
  if (uattr.null() || pid < 0 || flags != 0) return Err(Errno::kEINVAL);
  // sched_copy_attr(): size 0 means VER0; a larger struct must have zero
  // tails; a bad size writes the kernel's size back and fails with E2BIG.
  uint32_t size = TRY(t.CopyIn(UserPtr<uint32_t>{uattr.addr}));
  if (size == 0) size = kSchedAttrSizeVer0;
  if (size < kSchedAttrSizeVer0 || size > 4096) {
    (void)t.CopyOut(UserPtr<uint32_t>{uattr.addr}, static_cast<uint32_t>(sizeof(SchedAttr)));
    return Err(Errno::kE2BIG);
  }
  std::vector<uint8_t> buf(size);
  TRY(t.CopyInBytes(uattr.addr, buf.data(), size));
  for (size_t i = sizeof(SchedAttr); i < size; ++i) {
    if (buf[i] != 0) {
      (void)t.CopyOut(UserPtr<uint32_t>{uattr.addr}, static_cast<uint32_t>(sizeof(SchedAttr)));
      return Err(Errno::kE2BIG);
    }
  }
  SchedAttr a{};
  std::memcpy(&a, buf.data(), std::min<size_t>(size, sizeof(a)));
  constexpr uint64_t kKnownFlags = SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_RECLAIM |
                                   SCHED_FLAG_DL_OVERRUN | SCHED_FLAG_KEEP_POLICY |
                                   SCHED_FLAG_KEEP_PARAMS | SCHED_FLAG_UTIL_CLAMP_MIN |
                                   SCHED_FLAG_UTIL_CLAMP_MAX;
  if (a.sched_flags & ~kKnownFlags) return Err(Errno::kEINVAL);
  // Utilization clamping needs a scheduler with uclamp: not here.
  if (a.sched_flags & (SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX))
    return Err(Errno::kEOPNOTSUPP);
  if (static_cast<int32_t>(a.sched_policy) < 0) return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  SchedRequest req;
  req.policy = (a.sched_flags & SCHED_FLAG_KEEP_POLICY) ? -1 : static_cast<int>(a.sched_policy);
  req.priority = static_cast<int>(std::min<uint32_t>(a.sched_priority, kMaxRtPrio + 1));
  req.keep_params = (a.sched_flags & SCHED_FLAG_KEEP_PARAMS) != 0;
  req.reset_on_fork = (a.sched_flags & SCHED_FLAG_RESET_ON_FORK) != 0;
  if (!req.keep_params) req.nice = std::clamp(a.sched_nice, kMinNice, kMaxNice);
  return SetScheduler(t, *target, req);
}

SysResult<void> sys_sched_getattr(Task& t, pid_t pid, UserPtr<uint8_t> uattr, unsigned size,
                                  unsigned flags) {
  if (uattr.null() || pid < 0 || size > 4096 || size < kSchedAttrSizeVer0 || flags != 0)
    return Err(Errno::kEINVAL);
  kernel::Task* target = TRY(FindTask(t, pid));
  SchedAttr a{};
  a.size = static_cast<uint32_t>(std::min<size_t>(size, sizeof(a)));
  a.sched_policy = static_cast<uint32_t>(target->sched.policy);
  if (target->sched.reset_on_fork) a.sched_flags |= SCHED_FLAG_RESET_ON_FORK;
  if (RtPolicy(target->sched.policy))
    a.sched_priority = static_cast<uint32_t>(target->sched.priority);
  else
    a.sched_nice = target->tg().nice;
  a.sched_util_max = 1024;  // SCHED_CAPACITY_SCALE: no clamping
  return t.CopyOutBytes(uattr.addr, &a, a.size);
}

SysResult<int> sys_sched_get_priority_max(Task& t, int policy) {
  switch (policy) {
    case SCHED_FIFO: case SCHED_RR: return 99;
    case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case 6 /* SCHED_DEADLINE */: return 0;
    default: return Err(Errno::kEINVAL);
  }
}

SysResult<int> sys_sched_get_priority_min(Task& t, int policy) {
  switch (policy) {
    case SCHED_FIFO: case SCHED_RR: return 1;
    case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case 6 /* SCHED_DEADLINE */: return 0;
    default: return Err(Errno::kEINVAL);
  }
}

// The CPU is the host CPU the task's thread runs on, folded into the
// sandbox's CPUs and its affinity mask; there is one NUMA node.
SysResult<void> sys_getcpu(Task& t, UserPtr<unsigned> cpu, UserPtr<unsigned> node,
                           uint64_t tcache) {
  int ncpus = SandboxCpuCount(t.kernel());
  int host = sched_getcpu();
  unsigned c = host < 0 ? 0 : static_cast<unsigned>(host % ncpus);
  std::vector<uint8_t> mask = AffinityOf(t, ncpus);
  if (!((mask[c / 8] >> (c % 8)) & 1)) {
    for (int i = 0; i < ncpus; ++i) {
      if ((mask[i / 8] >> (i % 8)) & 1) {
        c = i;
        break;
      }
    }
  }
  if (!cpu.null()) TRY(t.CopyOut(cpu, c));
  if (!node.null()) TRY(t.CopyOut(node, 0u));
  return {};
}

}  // namespace bulwark::syscalls
