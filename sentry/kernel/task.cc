#include "sentry/kernel/task.h"

#include <linux/limits.h>

#include <chrono>

#include "base/log.h"
#include "sentry/kernel/rusage.h"

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
  if (deadline != nullptr) {
    // steady_clock is CLOCK_MONOTONIC on Linux.
    until = std::chrono::steady_clock::time_point(
        std::chrono::seconds(deadline->tv_sec) + std::chrono::nanoseconds(deadline->tv_nsec));
  }
  while (!woken_) {
    if (Interrupted()) {
      release();
      return Err(Errno::kERESTARTSYS);
    }
    OffCpu off_cpu(*this);
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
  cv_.notify_one();
}

void Task::Kick() {
  cv_.notify_one();  // Block re-checks Interrupted()
  if (in_app.load() && context) context->Interrupt();
}

void Task::SendSignal(const siginfo_t& info) {
  pending.Enqueue(info);
  tg_->signalfd_waiters.Notify();  // signalfd(2) pollers
  Kick();
}

}  // namespace bulwark::kernel
