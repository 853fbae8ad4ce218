// timerfd_create(2): a timer whose expirations are read as a count.
#pragma once

#include <time.h>

#include <cstdint>
#include <memory>

#include "sentry/kernel/timers.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::fsimpl {

// Guarded by the kernel lock.
class TimerFdFile : public vfs::FileDescription {
 public:
  // `clock` is already validated; `flags` holds O_NONBLOCK if wanted.
  TimerFdFile(kernel::TimerQueue& q, clockid_t clock, int flags);

  clockid_t clock() const { return clock_; }

  bool Seekable() const override { return false; }
  // 8 bytes: the expirations since the last read (then 0); EAGAIN at 0;
  // EINVAL for buffers under 8 bytes.
  SysResult<size_t> Read(kernel::Task& t, vfs::IoVecs dst, uint64_t off) override;
  SysResult<uint64_t> Seek(kernel::Task& t, int64_t off, int whence) override {
    return Err(Errno::kESPIPE);
  }
  // TFD_IOC_SET_TICKS.
  SysResult<uint64_t> Ioctl(kernel::Task& t, uint32_t cmd, uint64_t arg) override;
  uint32_t Readiness(uint32_t mask) override;
  kernel::WaitQueue* Queue() override { return &queue_; }
  std::string AnonName() const override { return "anon_inode:[timerfd]"; }

  // timerfd_settime: `value` and `interval` in ns; `value` is absolute on
  // clock() when `absolute`, else relative; 0 disarms. Resets the count.
  // Returns the old setting as timerfd_gettime would.
  SysResult<itimerspec> Set(int64_t value, int64_t interval, bool absolute);
  itimerspec Get() const;
  uint64_t ticks() const { return ticks_; }

 private:
  clockid_t clock_;
  kernel::Timer timer_;
  uint64_t ticks_ = 0;
  kernel::WaitQueue queue_;
};

}  // namespace bulwark::fsimpl
