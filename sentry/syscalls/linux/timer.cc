// timer_create(2) family. Deliberate differences from Linux:
// * CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID timers count
//   wall-clock time (no CPU-time accounting yet); other processes' CPU
//   clocks (negative clock ids) are EINVAL.
// * Timers are not deleted by execve (no exec hook yet).
// * si_overrun counts the expirations that found the previous signal still
//   queued (added when they happen); timer_getoverrun reports the overrun
//   of the last signal taken, as Linux does.
#include <climits>
#include <cstring>

#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/timers.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_timer.h"

namespace bulwark::syscalls {

namespace {

using kernel::PosixTimer;

// The queued signal of timer `id`, if it is still pending.
siginfo_t* QueuedSignal(kernel::PendingSignals& p, int id) {
  for (siginfo_t& i : p.queue)
    if (i.si_code == SI_TIMER && i.si_timerid == id) return &i;
  return nullptr;
}

void Fire(kernel::Kernel& k, kernel::ThreadGroup& tg, PosixTimer& pt, uint64_t count) {
  if (tg.zombie || tg.exiting) {
    pt.timer->Disarm();
    return;
  }
  if (pt.notify == SIGEV_NONE) return;
  kernel::Task* target = nullptr;
  if (pt.notify == SIGEV_THREAD_ID) {
    target = k.TaskByTid(pt.tid);
    if (target == nullptr || &target->tg() != &tg) return;
  }
  kernel::PendingSignals& pending = target ? target->pending : tg.pending;
  int add = static_cast<int>(std::min<uint64_t>(count, INT_MAX));
  if (siginfo_t* queued = QueuedSignal(pending, pt.id)) {
    // posix_timer_event() does not queue twice: the queued one counts the
    // expirations as overruns.
    int64_t o = static_cast<int64_t>(queued->si_overrun) + add;
    queued->si_overrun = static_cast<int>(std::min<int64_t>(o, INT_MAX));
    pt.overrun_newest = queued->si_overrun;
    return;
  }
  // The previous signal was taken with the overrun it had then.
  pt.overrun_last = pt.overrun_newest;
  siginfo_t info = kernel::MakeSigInfo(pt.signo, SI_TIMER);
  info.si_timerid = pt.id;
  info.si_overrun = add - 1;
  info.si_value = pt.value;
  pt.overrun_newest = info.si_overrun;
  if (target) {
    kernel::SendThreadSignal(*target, info);
  } else {
    kernel::SendGroupSignal(tg, info);
  }
}

SysResult<PosixTimer*> Lookup(Task& t, int id) {
  if (!t.tg().timers) return Err(Errno::kEINVAL);
  auto& m = t.tg().timers->posix;
  auto it = m.find(id);
  if (it == m.end()) return Err(Errno::kEINVAL);
  return it->second.get();
}

itimerspec Get(const PosixTimer& pt) {
  itimerspec its{};
  its.it_value = kernel::ToTimespec(pt.timer->RemainingNs());
  its.it_interval = kernel::ToTimespec(pt.timer->interval_ns());
  return its;
}

// The clock a timer on `clockid` runs on here.
SysResult<clockid_t> TimerClock(Task& t, clockid_t clockid) {
  switch (clockid) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      return clockid;
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
      if (!t.creds().HasCap(CAP_WAKE_ALARM)) return Err(Errno::kEPERM);
      return clockid;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return CLOCK_MONOTONIC;
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
      return Err(Errno::kEOPNOTSUPP);  // no timer_create in their k_clock
    default:
      return Err(Errno::kEINVAL);
  }
}

}  // namespace

SysResult<void> sys_timer_create(Task& t, clockid_t clockid, UserPtr<sigevent> sevp,
                                 UserPtr<int> timerid) {
  clockid_t clock = TRY(TimerClock(t, clockid));
  auto pt = std::make_unique<PosixTimer>();
  pt->clock = clock;
  kernel::ProcessTimers& timers = kernel::TimersOf(t.kernel(), t.tg());
  // Ids count up per process, skipping ids in use.
  int id = timers.next_posix_id;
  while (timers.posix.count(id)) id = id == INT_MAX ? 0 : id + 1;
  pt->id = id;
  if (sevp.null()) {
    pt->notify = SIGEV_SIGNAL;
    pt->signo = SIGALRM;
    pt->value.sival_int = id;
  } else {
    sigevent ev = TRY(t.CopyIn(sevp));
    // good_sigevent().
    switch (ev.sigev_notify) {
      case SIGEV_THREAD_ID: {
        kernel::Task* target = t.kernel().TaskByTid(ev._sigev_un._tid);
        if (target == nullptr || &target->tg() != &t.tg()) return Err(Errno::kEINVAL);
        pt->tid = ev._sigev_un._tid;
      }
        [[fallthrough]];
      case SIGEV_SIGNAL:
      case SIGEV_THREAD:
        if (ev.sigev_signo <= 0 || ev.sigev_signo > kernel::kNumSignals)
          return Err(Errno::kEINVAL);
        break;
      case SIGEV_NONE:
        break;
      default:
        return Err(Errno::kEINVAL);
    }
    pt->notify = ev.sigev_notify;
    pt->signo = ev.sigev_signo;
    pt->value = ev.sigev_value;
  }
  TRY(t.CopyOut(timerid, id));
  PosixTimer* raw = pt.get();
  kernel::ThreadGroup* tg = &t.tg();
  kernel::Kernel* k = &t.kernel();
  pt->timer = std::make_unique<kernel::Timer>(
      kernel::Timers(t.kernel()), [k, tg, raw](uint64_t count) { Fire(*k, *tg, *raw, count); });
  timers.posix.emplace(id, std::move(pt));
  timers.next_posix_id = id == INT_MAX ? 0 : id + 1;
  return {};
}

SysResult<void> sys_timer_settime(Task& t, int timerid, int flags, UserPtr<itimerspec> new_value,
                                  UserPtr<itimerspec> old_value) {
  itimerspec its = TRY(t.CopyIn(new_value));
  if (!ValidTimespec(its.it_value) || !ValidTimespec(its.it_interval)) return Err(Errno::kEINVAL);
  PosixTimer* pt = TRY(Lookup(t, timerid));
  itimerspec old = Get(*pt);
  int64_t value = kernel::ToNs(its.it_value);
  int64_t deadline = 0;
  if (value != 0) {
    deadline = (flags & TIMER_ABSTIME) ? TRY(kernel::ToMonotonicNs(pt->clock, value))
                                       : kernel::MonotonicNowNs() + value;
    if (deadline <= 0) deadline = 1;
  }
  pt->timer->Set(deadline, kernel::ToNs(its.it_interval));
  pt->overrun_last = pt->overrun_newest = 0;
  if (!old_value.null()) TRY(t.CopyOut(old_value, old));
  return {};
}

SysResult<void> sys_timer_gettime(Task& t, int timerid, UserPtr<itimerspec> curr_value) {
  PosixTimer* pt = TRY(Lookup(t, timerid));
  return t.CopyOut(curr_value, Get(*pt));
}

SysResult<int> sys_timer_getoverrun(Task& t, int timerid) {
  PosixTimer* pt = TRY(Lookup(t, timerid));
  kernel::Task* target = pt->notify == SIGEV_THREAD_ID ? t.kernel().TaskByTid(pt->tid) : nullptr;
  bool queued = QueuedSignal(target ? target->pending : t.tg().pending, pt->id) != nullptr;
  return queued ? pt->overrun_last : pt->overrun_newest;
}

SysResult<void> sys_timer_delete(Task& t, int timerid) {
  TRY(Lookup(t, timerid));
  t.tg().timers->posix.erase(timerid);
  return {};
}

}  // namespace bulwark::syscalls
