#include "sentry/kernel/task.h"

#include <linux/limits.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <optional>

#include "base/log.h"
#include "sentry/kernel/rusage.h"
#include "sentry/kernel/spin_wait.h"

namespace bulwark::kernel {

Task::Task(Kernel& kernel, pid_t tid, std::shared_ptr<ThreadGroup> tg)
    : kernel_(kernel), tid_(tid), tg_(std::move(tg)) {
  fp_.Reset();
}

Task::~Task() = default;

SysResult<std::string> Task::CopyInPath(UserCString s) const {
  return mm_->CopyInString(s.addr, PATH_MAX);
}

bool Task::Interrupted() const {
  if (exiting || tg_->exiting) return true;
  if (tg_->group_stopped && !group_stop_done) return true;
  return ((pending.set | tg_->pending.set) & ~sigmask) != 0;
}

SysResult<void> Task::Block(const timespec* deadline) {
  std::unique_lock<std::mutex> lock(kernel_.mu, std::adopt_lock);
  auto release = [&] { (void)lock.release(); };
  std::chrono::steady_clock::time_point until;
  int64_t deadline_ns = INT64_MAX;
  if (deadline != nullptr) {
    // steady_clock is CLOCK_MONOTONIC on Linux.
    until = std::chrono::steady_clock::time_point(
        std::chrono::seconds(deadline->tv_sec) + std::chrono::nanoseconds(deadline->tv_nsec));
    deadline_ns = deadline->tv_sec * int64_t{1000000000} + deadline->tv_nsec;
  }
  std::optional<OffCpu> off_cpu;
  int64_t start_ns = 0;
  bool spun = false;
  while (!woken_) {
    if (Interrupted()) {
      release();
      return Err(Errno::kERESTARTSYS);
    }
    if (!off_cpu) off_cpu.emplace(*this);
    if (!spun) {
      // First poll for the wake-up with the lock released (spin_wait.h),
      // if no other task needs this CPU (Context::OwnsCpu); a Wake() or
      // Kick() in the meantime bumps wake_seq_.
      spun = true;
      start_ns = MonotonicNs();
      if (block_spin_ns_ > 0 && start_ns < deadline_ns && context && context->OwnsCpu()) {
        uint32_t seq = wake_seq_.load(std::memory_order_relaxed);
        lock.unlock();
        SpinUntilChanged(wake_seq_, seq, std::min(start_ns + block_spin_ns_, deadline_ns));
        LockSpinning(lock, kLockSpinNs);
        continue;  // woken_ and the signals are re-checked under the lock
      }
    }
    if (deadline != nullptr) {
      if (cv_.wait_until(lock, until) == std::cv_status::timeout && !woken_) {
        release();
        return Err(Errno::kETIMEDOUT);
      }
    } else {
      cv_.wait(lock);
    }
  }
  woken_ = false;
  if (spun) {
    // A wake-up that came within twice the budget is worth spinning for
    // next time; after a long sleep the spin was wasted: halve it.
    block_spin_ns_ =
        MonotonicNs() - start_ns <= 2 * kBlockSpinNs ? kBlockSpinNs : block_spin_ns_ / 2;
  }
  release();
  return {};
}

void Task::WaitForEvent() {
  std::unique_lock<std::mutex> lock(kernel_.mu, std::adopt_lock);
  OffCpu off_cpu(*this);
  cv_.wait(lock);
  (void)lock.release();
}

void Task::Wake() {
  woken_ = true;
  wake_seq_.fetch_add(1, std::memory_order_release);
  cv_.notify_one();
}

void Task::Kick() {
  wake_seq_.fetch_add(1, std::memory_order_release);
  cv_.notify_one();  // Block re-checks Interrupted()
  if (in_app.load() && context) context->Interrupt();
}

void Task::SendSignal(const siginfo_t& info) {
  pending.Enqueue(info);
  tg_->signalfd_waiters.Notify();  // signalfd(2) pollers
  Kick();
}

}  // namespace bulwark::kernel
