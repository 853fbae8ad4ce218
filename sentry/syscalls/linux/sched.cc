// Scheduling syscalls. The sandbox has no scheduler of its own: tasks are
// host threads, so policies and priorities are recorded and reported, not
// applied to the host.
#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>
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
  std::optional<Errno> error = Errno::kESRCH;
  for (kernel::ThreadGroup* tg : targets) {
    const kernel::Task* leader = tg->Leader();
    const kernel::Credentials& tc = leader ? leader->creds() : c;
    if (tc.ruid != c.euid && tc.euid != c.euid && !c.HasCap(CAP_SYS_NICE)) {
      error = Errno::kEPERM;
      continue;
    }
    uint64_t nice_rlim = static_cast<uint64_t>(20 - niceval);
    if (niceval < tg->nice && nice_rlim > tg->rlimits[RLIMIT_NICE].cur &&
        !c.HasCap(CAP_SYS_NICE)) {
      error = Errno::kEACCES;
      continue;
    }
    tg->nice = niceval;
    if (error == Errno::kESRCH) error.reset();
  }
  if (error) return Err(*error);
  return {};
}

SysResult<void> sys_sched_getparam(Task& t, pid_t pid, UserPtr<sched_param> param) {
  if (param.null() || pid < 0) return Err(Errno::kEINVAL);
  TRY(FindTask(t, pid));
  return t.CopyOut(param, sched_param{0});
}

// sched_setscheduler(2) is not implemented: every task is SCHED_OTHER.
SysResult<int> sys_sched_getscheduler(Task& t, pid_t pid) {
  if (pid < 0) return Err(Errno::kEINVAL);
  TRY(FindTask(t, pid));
  return SCHED_OTHER;
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
