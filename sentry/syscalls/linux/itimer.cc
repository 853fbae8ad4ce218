// ITIMER_VIRTUAL and ITIMER_PROF count wall-clock time, not CPU time: the
// sentry has no CPU-time accounting of application threads yet, so they
// fire no later than Linux's would (for one busy thread, at the same time;
// for an idle process, too early).
#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/timers.h"
#include "sentry/syscalls/linux/sys_itimer.h"

namespace bulwark::syscalls {

namespace {

constexpr int kSignalOf[3] = {SIGALRM, SIGVTALRM, SIGPROF};

int64_t ToNs(const timeval& tv) {
  return tv.tv_sec * kernel::kNsPerSec + tv.tv_usec * 1000;
}

// ns_to_timeval with the round-up of itimer_get_remtime(): an armed
// timer never reads as zero.
timeval ToTimeval(int64_t ns) {
  int64_t us = (ns + 999) / 1000;
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

bool Valid(const timeval& tv) {
  return tv.tv_sec >= 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000;
}

itimerval Get(kernel::ProcessTimers& pt, int which) {
  itimerval v{};
  if (kernel::Timer* tm = pt.itimer[which].get()) {
    v.it_value = ToTimeval(tm->RemainingNs());
    v.it_interval = ToTimeval(tm->interval_ns());
  }
  return v;
}

// Arms (or disarms, for a zero value) `which`; returns the old setting.
itimerval Set(Task& t, int which, const itimerval& nv) {
  kernel::ProcessTimers& pt = kernel::TimersOf(t.kernel(), t.tg());
  itimerval old = Get(pt, which);
  std::unique_ptr<kernel::Timer>& tm = pt.itimer[which];
  if (!tm) {
    kernel::ThreadGroup* tg = &t.tg();
    int sig = kSignalOf[which];
    tm = std::make_unique<kernel::Timer>(kernel::Timers(t.kernel()), [tg, which, sig](uint64_t) {
      if (tg->zombie || tg->exiting) {
        tg->timers->itimer[which]->Disarm();
        return;
      }
      // it_real_fn() and the CPU timers send from the kernel: SI_KERNEL.
      kernel::SendGroupSignal(*tg, kernel::MakeSigInfo(sig, SI_KERNEL));
    });
  }
  int64_t value = ToNs(nv.it_value), interval = ToNs(nv.it_interval);
  tm->Set(value == 0 ? 0 : kernel::MonotonicNowNs() + value, interval);
  return old;
}

}  // namespace

SysResult<void> sys_getitimer(Task& t, int which, UserPtr<itimerval> curr_value) {
  if (which < ITIMER_REAL || which > ITIMER_PROF) return Err(Errno::kEINVAL);
  itimerval v{};
  if (t.tg().timers) v = Get(*t.tg().timers, which);
  return t.CopyOut(curr_value, v);
}

// A null new_value disarms, as Linux has done since 2.6.x (with a warning).
SysResult<void> sys_setitimer(Task& t, int which, UserPtr<itimerval> new_value,
                              UserPtr<itimerval> old_value) {
  itimerval nv{};
  if (!new_value.null()) nv = TRY(t.CopyIn(new_value));
  if (which < ITIMER_REAL || which > ITIMER_PROF) return Err(Errno::kEINVAL);
  if (!Valid(nv.it_value) || !Valid(nv.it_interval)) return Err(Errno::kEINVAL);
  itimerval old = Set(t, which, nv);
  if (!old_value.null()) TRY(t.CopyOut(old_value, old));
  return {};
}

// alarm_setitimer(): the old value in seconds, rounded to the nearest,
// and at least 1 if the alarm was armed.
SysResult<unsigned> sys_alarm(Task& t, unsigned seconds) {
  itimerval nv{};
  nv.it_value.tv_sec = seconds;
  itimerval old = Set(t, ITIMER_REAL, nv);
  unsigned secs = static_cast<unsigned>(old.it_value.tv_sec);
  if ((secs == 0 && old.it_value.tv_usec != 0) || old.it_value.tv_usec >= 500000) ++secs;
  return secs;
}

}  // namespace bulwark::syscalls
