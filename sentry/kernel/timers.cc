#include "sentry/kernel/timers.h"

#include <pthread.h>

#include <chrono>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/thread_group.h"

namespace bulwark::kernel {

namespace {

SysResult<clockid_t> HostClock(clockid_t clock) {
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_ALARM:
      return CLOCK_REALTIME;
    case CLOCK_MONOTONIC:
      return CLOCK_MONOTONIC;
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return CLOCK_BOOTTIME;
    case CLOCK_TAI:
      return CLOCK_TAI;
    default:
      return Err(Errno::kEINVAL);
  }
}

int64_t HostNow(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ToNs(ts);
}

// One queue per kernel, keyed by the kernel's address, so that Kernel
// needs no member for it. Queues are never destroyed: the sentry has one
// kernel and _exits; a unit test's kernel leaves an idle thread behind,
// which touches the kernel lock only when a timer is due (timers die with
// their owners, before the kernel).
std::mutex registry_mu;
std::map<Kernel*, std::unique_ptr<TimerQueue>>& Registry() {
  static auto* r = new std::map<Kernel*, std::unique_ptr<TimerQueue>>;
  return *r;
}

}  // namespace

int64_t MonotonicNowNs() { return HostNow(CLOCK_MONOTONIC); }

SysResult<int64_t> ClockNowNs(clockid_t clock) { return HostNow(TRY(HostClock(clock))); }

SysResult<int64_t> ToMonotonicNs(clockid_t clock, int64_t ns) {
  clockid_t c = TRY(HostClock(clock));
  if (c == CLOCK_MONOTONIC) return ns;
  return ns - HostNow(c) + MonotonicNowNs();
}

TimerQueue::TimerQueue(std::mutex& kernel_mu) : kernel_mu_(kernel_mu) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "timers");
    Loop();
  });
}

TimerQueue::~TimerQueue() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    for (auto& [deadline, t] : armed_) t->queued_ = false;
    armed_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimerQueue::Insert(Timer* t) {
  std::lock_guard lock(mu_);
  if (stop_) return;
  bool first = armed_.empty() || t->deadline_ < armed_.begin()->first;
  t->pos_ = armed_.emplace(t->deadline_, t);
  t->queued_ = true;
  if (first) cv_.notify_all();
}

void TimerQueue::Erase(Timer* t) {
  std::lock_guard lock(mu_);
  if (!t->queued_) return;
  armed_.erase(t->pos_);
  t->queued_ = false;
}

void TimerQueue::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (armed_.empty()) {
      cv_.wait(lock);
      continue;
    }
    int64_t first = armed_.begin()->first;
    if (MonotonicNowNs() < first) {
      // steady_clock is CLOCK_MONOTONIC on Linux.
      cv_.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(first)));
      continue;
    }
    // Lock order: the kernel lock first. Timers disarmed while mu_ was
    // released are no longer in armed_ when it is re-taken.
    lock.unlock();
    {
      std::lock_guard klock(kernel_mu_);
      RunExpired();
    }
    lock.lock();
  }
}

void TimerQueue::RunExpired() {
  for (;;) {
    Timer* t;
    int64_t now = MonotonicNowNs();
    {
      std::lock_guard lock(mu_);
      if (stop_ || armed_.empty() || armed_.begin()->first > now) return;
      t = armed_.begin()->second;
      armed_.erase(armed_.begin());
      t->queued_ = false;
    }
    t->Expire(now);  // may Set or destroy timers, which takes mu_
  }
}

TimerQueue& Timers(Kernel& k) {
  std::lock_guard lock(registry_mu);
  auto& r = Registry();
  auto it = r.find(&k);
  if (it == r.end()) it = r.emplace(&k, std::make_unique<TimerQueue>(k.mu)).first;
  return *it->second;
}

void Timer::Set(int64_t deadline_ns, int64_t interval_ns) {
  q_.Erase(this);
  deadline_ = deadline_ns;
  interval_ = deadline_ns == 0 ? 0 : interval_ns;
  if (deadline_ != 0) q_.Insert(this);
}

int64_t Timer::RemainingNs() const {
  if (deadline_ == 0) return 0;
  int64_t left = deadline_ - MonotonicNowNs();
  return left > 0 ? left : 1;
}

void Timer::Expire(int64_t now) {
  uint64_t count = 1;
  if (interval_ > 0) {
    int64_t missed = (now - deadline_) / interval_;
    count += static_cast<uint64_t>(missed);
    deadline_ += (missed + 1) * interval_;
    q_.Insert(this);
  } else {
    deadline_ = 0;
  }
  Callback cb = cb_;  // the callback may destroy this timer
  cb(count);
}

ProcessTimers& TimersOf(Kernel& k, ThreadGroup& tg) {
  if (!tg.timers) tg.timers = std::make_shared<ProcessTimers>();
  return *tg.timers;
}

}  // namespace bulwark::kernel
