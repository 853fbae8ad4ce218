// getrusage(2). What is counted and how: sentry/kernel/rusage.h.
#include <sys/resource.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/rusage.h"
#include "sentry/syscalls/linux/sys_time.h"

namespace bulwark::syscalls {

namespace {

timeval ToTimeval(uint64_t ns) {
  return timeval{static_cast<time_t>(ns / 1000000000),
                 static_cast<suseconds_t>(ns % 1000000000 / 1000)};
}

}  // namespace

// RUSAGE_THREAD reports the thread's times and context switches with the
// process's maxrss (as Linux, from the mm) but no faults: they are counted
// per process here.
SysResult<void> sys_getrusage(Task& t, int who, UserPtr<struct rusage> usage) {
  kernel::ThreadGroup& tg = t.tg();
  kernel::CpuTime c;
  kernel::ResourceCounts n;
  switch (who) {
    case RUSAGE_SELF:
    case RUSAGE_THREAD:
      kernel::ChargeSentryTime(t);
      kernel::SampleMemory(tg, t.mm(), t.kernel().memory_file());
      if (who == RUSAGE_SELF) {
        c = kernel::ProcessCpuTime(tg);
        n = kernel::ProcessCounts(tg);
      } else {
        c = kernel::ThreadCpuTime(t);
        n.nvcsw = t.nvcsw;
        n.maxrss_kb = tg.counts.maxrss_kb;
      }
      break;
    case RUSAGE_CHILDREN:
      c = {tg.cutime_ns, tg.cstime_ns};
      n = tg.ccounts;
      break;
    default:
      return Err(Errno::kEINVAL);
  }
  struct rusage ru {};
  ru.ru_utime = ToTimeval(c.user);
  ru.ru_stime = ToTimeval(c.sys);
  ru.ru_maxrss = static_cast<long>(n.maxrss_kb);
  ru.ru_minflt = static_cast<long>(n.minflt);
  ru.ru_majflt = static_cast<long>(n.majflt);
  ru.ru_nvcsw = static_cast<long>(n.nvcsw);
  ru.ru_nivcsw = static_cast<long>(n.nivcsw);
  return t.CopyOut(usage, ru);
}

}  // namespace bulwark::syscalls
