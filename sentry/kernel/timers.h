// Kernel timers: one host thread per kernel sleeps until the earliest armed
// deadline, takes the kernel lock and runs the expired timers' callbacks.
// Used by timerfd, setitimer/alarm and timer_create.
//
// Every deadline is kept on CLOCK_MONOTONIC. Timers on CLOCK_REALTIME and
// CLOCK_BOOTTIME are converted when set (the sandbox cannot set a clock,
// and the host's clock steps are not followed: an absolute CLOCK_REALTIME
// timer fires after the interval it had when set). The *_ALARM clocks are
// the same clocks without wake-up from suspend.
#pragma once

#include <signal.h>
#include <time.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.h"
#include "sentry/kernel/signals.h"

namespace bulwark::kernel {

class Kernel;
class ThreadGroup;
class Timer;

constexpr int64_t kNsPerSec = 1000000000;

inline int64_t ToNs(const timespec& ts) { return ts.tv_sec * kNsPerSec + ts.tv_nsec; }
inline timespec ToTimespec(int64_t ns) {
  return timespec{static_cast<time_t>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
}

// Now on CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME or their _ALARM
// variants; EINVAL for other clocks.
SysResult<int64_t> ClockNowNs(clockid_t clock);
int64_t MonotonicNowNs();
// The CLOCK_MONOTONIC time at which `clock` reads `ns`.
SysResult<int64_t> ToMonotonicNs(clockid_t clock, int64_t ns);

// The timer thread and the set of armed timers. Lock order: the kernel lock
// before mu_ (a leaf).
class TimerQueue {
 public:
  explicit TimerQueue(std::mutex& kernel_mu);
  // Stops the thread. Must not be called with the kernel lock held.
  // (Timers() never destroys a queue; this is for tests.)
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

 private:
  friend class Timer;
  void Insert(Timer* t);  // kernel lock held
  void Erase(Timer* t);   // kernel lock held
  void Loop();
  // Runs the callbacks of the expired timers. Kernel lock held, not mu_.
  void RunExpired();

  std::mutex& kernel_mu_;
  std::mutex mu_;  // guards armed_ and stop_
  std::condition_variable cv_;
  std::multimap<int64_t, Timer*> armed_;  // by monotonic deadline
  bool stop_ = false;
  std::thread thread_;
};

// The kernel's timer queue, started on first use. Precondition: kernel
// lock held.
TimerQueue& Timers(Kernel& k);

// A one-shot or periodic timer. Guarded by the kernel lock.
class Timer {
 public:
  // Runs with the kernel lock held when the timer expires. `count` is the
  // number of expirations since the last call: 1, plus the periods that
  // passed before the timer thread got to run (overruns). The callback may
  // Set or destroy this timer.
  using Callback = std::function<void(uint64_t count)>;
  Timer(TimerQueue& q, Callback cb) : q_(q), cb_(std::move(cb)) {}
  ~Timer() { Disarm(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Arms at the absolute CLOCK_MONOTONIC `deadline_ns` (a past deadline
  // fires at once, from the timer thread), then every `interval_ns` if it
  // is positive. A deadline of 0 disarms.
  void Set(int64_t deadline_ns, int64_t interval_ns);
  void Disarm() { Set(0, 0); }
  bool armed() const { return deadline_ != 0; }
  int64_t deadline_ns() const { return deadline_; }
  int64_t interval_ns() const { return interval_; }
  // Time left until the next expiration (0 when disarmed, at least 1 ns
  // when armed, as Linux never reports an armed timer as 0).
  int64_t RemainingNs() const;

 private:
  friend class TimerQueue;
  void Expire(int64_t now);

  TimerQueue& q_;
  Callback cb_;
  int64_t deadline_ = 0;
  int64_t interval_ = 0;
  bool queued_ = false;
  std::multimap<int64_t, Timer*>::iterator pos_;
};

// A timer_create(2) timer. Guarded by the kernel lock.
struct PosixTimer {
  int id = 0;
  clockid_t clock = CLOCK_MONOTONIC;
  int notify = SIGEV_SIGNAL;  // SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID
  int signo = SIGALRM;
  sigval value{};
  pid_t tid = 0;  // SIGEV_THREAD_ID: the thread to signal
  // The si_overrun of the newest signal (still queued, or taken since), and
  // of the one before it. timer_getoverrun reports the last signal taken
  // (Linux's it_overrun_last, set at dequeue): `overrun_newest` once no
  // signal of the timer is queued any more, `overrun_last` while one is.
  int overrun_newest = 0;
  int overrun_last = 0;
  std::unique_ptr<Timer> timer;
};

// The timers of a process (ThreadGroup::timers). The itimers' and the
// POSIX timers' callbacks hold a pointer to the group, which owns them.
struct ProcessTimers {
  std::unique_ptr<Timer> itimer[3];  // ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF
  std::map<int, std::unique_ptr<PosixTimer>> posix;
  int next_posix_id = 0;
};

// `tg`'s timers, created on first use. Precondition: kernel lock held.
ProcessTimers& TimersOf(Kernel& k, ThreadGroup& tg);

}  // namespace bulwark::kernel
