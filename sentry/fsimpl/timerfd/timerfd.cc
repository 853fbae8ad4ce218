#include "sentry/fsimpl/timerfd/timerfd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>

#include "sentry/fsimpl/eventfd/eventfd.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl {

namespace {
// linux/timerfd.h: _IOW('T', 0, __u64).
constexpr uint32_t kTfdIocSetTicks = _IOW('T', 0, uint64_t);
}  // namespace

TimerFdFile::TimerFdFile(kernel::TimerQueue& q, clockid_t clock, int flags)
    : vfs::FileDescription(vfs::Path{}, O_RDWR | flags), clock_(clock),
      timer_(q, [this](uint64_t count) {
        ticks_ += count;
        queue_.Notify(POLLIN | POLLRDNORM);
      }) {}

SysResult<size_t> TimerFdFile::Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) {
  if (vfs::TotalLength(dst) < sizeof(uint64_t)) return Err(Errno::kEINVAL);
  if (ticks_ == 0) return Err(Errno::kEAGAIN);
  uint64_t v = ticks_;
  ticks_ = 0;
  CopyToIoVecs(dst, &v, sizeof(v));
  return sizeof(v);
}

SysResult<uint64_t> TimerFdFile::Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) {
  if (cmd != kTfdIocSetTicks) return Err(Errno::kENOTTY);
  uint64_t v = TRY(t.CopyIn(kernel::UserPtr<uint64_t>{arg}));
  if (v == 0) return Err(Errno::kEINVAL);
  ticks_ = v;
  queue_.Notify(POLLIN | POLLRDNORM);
  return 0;
}

uint32_t TimerFdFile::Readiness(uint32_t mask) {
  return (ticks_ > 0 ? POLLIN | POLLRDNORM : 0) & mask;
}

itimerspec TimerFdFile::Get() const {
  itimerspec its{};
  its.it_value = kernel::ToTimespec(timer_.RemainingNs());
  its.it_interval = kernel::ToTimespec(timer_.interval_ns());
  return its;
}

SysResult<itimerspec> TimerFdFile::Set(int64_t value, int64_t interval, bool absolute) {
  itimerspec old = Get();
  int64_t deadline = 0;
  if (value != 0) {
    deadline = absolute ? TRY(kernel::ToMonotonicNs(clock_, value))
                        : kernel::MonotonicNowNs() + value;
    // A deadline at or before the epoch of CLOCK_MONOTONIC still fires.
    if (deadline <= 0) deadline = 1;
  }
  ticks_ = 0;
  timer_.Set(deadline, interval);
  return old;
}

}  // namespace bulwark::fsimpl
