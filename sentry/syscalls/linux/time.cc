// Clocks, sleeps and CPU-time accounting syscalls.
#include <linux/capability.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/thread_group.h"
#include "sentry/syscalls/linux/sys_time.h"

namespace bulwark::syscalls {

namespace {

constexpr int64_t kNsPerSec = 1000000000;
constexpr int64_t kNsPerTick = kNsPerSec / 100;  // USER_HZ

// Dynamic CPU clock ids (include/linux/posix-timers.h): ~pid << 3 | flags.
constexpr clockid_t kCpuClockPerThread = 4;
constexpr clockid_t kCpuClockFd = 3;
enum CpuClockKind { kProf = 0, kVirt = 1, kSched = 2 };

timespec FromNs(int64_t ns) { return timespec{ns / kNsPerSec, ns % kNsPerSec}; }
int64_t ToNs(const timespec& ts) { return ts.tv_sec * kNsPerSec + ts.tv_nsec; }

timespec HostNow(clockid_t c) {
  timespec ts{};
  clock_gettime(c, &ts);
  return ts;
}

using kernel::CpuTime;
using kernel::ProcessCpuTime;
using kernel::ThreadCpuTime;

// A resolved clock: a host clock, or a CPU clock of a thread or process.
struct Clock {
  clockid_t host = -1;
  const kernel::Task* thread = nullptr;
  const kernel::ThreadGroup* process = nullptr;
  CpuClockKind kind = kSched;
  bool alarm = false;
};

SysResult<Clock> Resolve(Task& t, clockid_t id) {
  Clock c;
  if (id >= 0) {
    switch (id) {
      case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
      case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
      case CLOCK_TAI:
        c.host = id;
        return c;
      case CLOCK_REALTIME_ALARM: c.host = CLOCK_REALTIME; c.alarm = true; return c;
      case CLOCK_BOOTTIME_ALARM: c.host = CLOCK_BOOTTIME; c.alarm = true; return c;
      case CLOCK_PROCESS_CPUTIME_ID: c.process = &t.tg(); return c;
      case CLOCK_THREAD_CPUTIME_ID: c.thread = &t; return c;
      default: return Err(Errno::kEINVAL);
    }
  }
  // Posix clock devices (fd-based) do not exist in the sandbox.
  if ((id & 7) == kCpuClockFd) return Err(Errno::kEINVAL);
  c.kind = static_cast<CpuClockKind>(id & 3);
  pid_t pid = ~(id >> 3);
  kernel::Kernel& k = t.kernel();
  if (id & kCpuClockPerThread) {
    const kernel::Task* th = pid == 0 ? &t : k.TaskByTid(pid);
    if (th == nullptr || th->tgid() != t.tgid()) return Err(Errno::kEINVAL);
    c.thread = th;
  } else {
    // A process clock names a thread-group leader (lookup_task()).
    if (pid == 0) {
      c.process = &t.tg();
    } else {
      auto tg = k.ThreadGroupByPid(pid);
      if (!tg || tg->zombie) return Err(Errno::kEINVAL);
      c.process = tg.get();
    }
  }
  return c;
}

int64_t ReadNs(const Clock& c) {
  if (c.host >= 0) return ToNs(HostNow(c.host));
  CpuTime ct = c.thread ? ThreadCpuTime(*c.thread) : ProcessCpuTime(*c.process);
  return static_cast<int64_t>(c.kind == kVirt ? ct.user : ct.user + ct.sys);
}

SysResult<timespec> CopyInTimespec(Task& t, UserPtr<timespec> p) {
  timespec ts = TRY(t.CopyIn(p));
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= kNsPerSec) return Err(Errno::kEINVAL);
  return ts;
}

// Sleeps until `deadline` on CLOCK_MONOTONIC; false when a signal (or exit)
// interrupted the sleep.
SysResult<bool> SleepUntil(Task& t, const timespec& deadline) {
  for (;;) {
    if (ToNs(HostNow(CLOCK_MONOTONIC)) >= ToNs(deadline)) return true;
    auto r = t.Block(&deadline);
    if (r) continue;  // nobody else wakes a sleeper: spurious
    if (r.error() == Errno::kETIMEDOUT) return true;
    if (r.error() == Errno::kERESTARTSYS) return false;
    return Err(r.error());
  }
}

// A relative sleep of `req` on CLOCK_MONOTONIC. Deliberate difference from
// Linux, which returns ERESTART_RESTARTBLOCK so that a restart after a
// stop sleeps only the remaining time: this returns ERESTARTNOHAND, so a
// signal with a handler gives EINTR (with *rem written) as in Linux, but a
// restart without one sleeps the whole `req` again.
SysResult<void> SleepFor(Task& t, const timespec& req, UserPtr<timespec> rem) {
  int64_t start = ToNs(HostNow(CLOCK_MONOTONIC));
  timespec deadline = FromNs(start + ToNs(req));
  if (TRY(SleepUntil(t, deadline))) return {};
  if (!rem.null()) {
    int64_t left = ToNs(deadline) - ToNs(HostNow(CLOCK_MONOTONIC));
    TRY(t.CopyOut(rem, FromNs(std::max<int64_t>(left, 0))));
  }
  return Err(Errno::kERESTARTNOHAND);
}

}  // namespace

SysResult<void> sys_clock_gettime(Task& t, clockid_t clock, UserPtr<timespec> tp) {
  Clock c = TRY(Resolve(t, clock));
  kernel::ChargeSentryTime(t);  // the caller's clock includes this call
  return t.CopyOut(tp, FromNs(ReadNs(c)));
}

SysResult<void> sys_clock_getres(Task& t, clockid_t clock, UserPtr<timespec> res) {
  Clock c = TRY(Resolve(t, clock));
  timespec r{0, 1};
  if (c.host >= 0) {
    clock_getres(c.host, &r);
  } else if (c.kind != kSched) {
    // Tick-based, like Linux's PROF/VIRT CPU clocks: one jiffy.
    clock_getres(CLOCK_REALTIME_COARSE, &r);
  }
  if (res.null()) return {};
  return t.CopyOut(res, r);
}

// The timezone is always UTC with no DST: Linux's default sys_tz.
SysResult<void> sys_gettimeofday(Task& t, UserPtr<timeval> tv, UserPtr<struct timezone> tz) {
  if (!tv.null()) {
    timespec now = HostNow(CLOCK_REALTIME);
    TRY(t.CopyOut(tv, timeval{now.tv_sec, now.tv_nsec / 1000}));
  }
  if (!tz.null()) {
    struct timezone zone {};
    TRY(t.CopyOut(tz, zone));
  }
  return {};
}

SysResult<time_t> sys_time(Task& t, UserPtr<time_t> tloc) {
  time_t now = HostNow(CLOCK_REALTIME).tv_sec;
  if (!tloc.null()) TRY(t.CopyOut(tloc, now));
  return now;
}

SysResult<void> sys_nanosleep(Task& t, UserPtr<timespec> req, UserPtr<timespec> rem) {
  timespec ts = TRY(CopyInTimespec(t, req));
  return SleepFor(t, ts, rem);
}

// Deliberate difference from Linux: sleeping on a process CPU-time clock is
// EOPNOTSUPP (Linux supports it); absolute CLOCK_REALTIME/TAI deadlines are
// converted to CLOCK_MONOTONIC once, so a later clock change does not move
// them.
SysResult<void> sys_clock_nanosleep(Task& t, clockid_t clock, int flags, UserPtr<timespec> req,
                                    UserPtr<timespec> rem) {
  Clock c = TRY(Resolve(t, clock));
  if (c.thread != nullptr) return Err(Errno::kEINVAL);
  if (c.process != nullptr) return Err(Errno::kEOPNOTSUPP);
  if (c.host == CLOCK_MONOTONIC_RAW || c.host == CLOCK_REALTIME_COARSE ||
      c.host == CLOCK_MONOTONIC_COARSE)
    return Err(Errno::kEOPNOTSUPP);
  if (c.alarm) {
    if (flags & ~TIMER_ABSTIME) return Err(Errno::kEINVAL);
    if (!t.creds().HasCap(CAP_WAKE_ALARM)) return Err(Errno::kEPERM);
  }
  timespec ts = TRY(CopyInTimespec(t, req));
  if (!(flags & TIMER_ABSTIME)) return SleepFor(t, ts, rem);
  int64_t mono_now = ToNs(HostNow(CLOCK_MONOTONIC));
  int64_t deadline = c.host == CLOCK_MONOTONIC ? ToNs(ts)
                                               : mono_now + (ToNs(ts) - ToNs(HostNow(c.host)));
  if (TRY(SleepUntil(t, FromNs(std::max<int64_t>(deadline, 0))))) return {};
  // Absolute sleeps restart with the same arguments, as in Linux.
  return Err(Errno::kERESTARTNOHAND);
}

SysResult<int64_t> sys_times(Task& t, UserPtr<struct tms> buf) {
  if (!buf.null()) {
    const kernel::ThreadGroup& tg = t.tg();
    kernel::ChargeSentryTime(t);
    CpuTime self = ProcessCpuTime(tg);
    struct tms out {};
    out.tms_utime = static_cast<clock_t>(self.user / kNsPerTick);
    out.tms_stime = static_cast<clock_t>(self.sys / kNsPerTick);
    out.tms_cutime = static_cast<clock_t>(tg.cutime_ns / kNsPerTick);
    out.tms_cstime = static_cast<clock_t>(tg.cstime_ns / kNsPerTick);
    TRY(t.CopyOut(buf, out));
  }
  // Linux returns jiffies since an arbitrary point; here, since boot.
  return t.kernel().UptimeNs() / kNsPerTick;
}

}  // namespace bulwark::syscalls
