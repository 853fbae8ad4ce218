#include <sys/timerfd.h>

#include "sentry/fsimpl/timerfd/timerfd.h"
#include "sentry/kernel/timers.h"
#include "sentry/syscalls/linux/fs_util.h"
#include "sentry/syscalls/linux/sys_timerfd.h"

namespace bulwark::syscalls {

namespace {

SysResult<fsimpl::TimerFdFile*> TimerFdAt(Task& t, int fd,
                                          std::shared_ptr<vfs::FileDescription>& holder) {
  holder = TRY(GetFile(t, fd));
  auto* tf = dynamic_cast<fsimpl::TimerFdFile*>(holder.get());
  if (tf == nullptr) return Err(Errno::kEINVAL);
  return tf;
}

}  // namespace

SysResult<int> sys_timerfd_create(Task& t, int clockid, int flags) {
  if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK)) return Err(Errno::kEINVAL);
  switch (clockid) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
      break;
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
      if (!t.creds().HasCap(CAP_WAKE_ALARM)) return Err(Errno::kEPERM);
      break;
    default:
      return Err(Errno::kEINVAL);
  }
  TRY(CheckFdAvailable(t));
  auto file = std::make_shared<fsimpl::TimerFdFile>(kernel::Timers(t.kernel()), clockid,
                                                    flags & TFD_NONBLOCK);
  return t.fds().Install(std::move(file), (flags & TFD_CLOEXEC) != 0, FdLimit(t));
}

// TFD_TIMER_CANCEL_ON_SET is accepted and never cancels: nothing in the
// sandbox can set CLOCK_REALTIME, and host clock changes are not followed.
SysResult<void> sys_timerfd_settime(Task& t, int fd, int flags, UserPtr<itimerspec> new_value,
                                    UserPtr<itimerspec> old_value) {
  itimerspec its = TRY(t.CopyIn(new_value));
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
      !ValidTimespec(its.it_value) || !ValidTimespec(its.it_interval))
    return Err(Errno::kEINVAL);
  std::shared_ptr<vfs::FileDescription> holder;
  fsimpl::TimerFdFile* tf = TRY(TimerFdAt(t, fd, holder));
  itimerspec old = TRY(tf->Set(kernel::ToNs(its.it_value), kernel::ToNs(its.it_interval),
                               (flags & TFD_TIMER_ABSTIME) != 0));
  if (!old_value.null()) TRY(t.CopyOut(old_value, old));
  return {};
}

SysResult<void> sys_timerfd_gettime(Task& t, int fd, UserPtr<itimerspec> curr_value) {
  std::shared_ptr<vfs::FileDescription> holder;
  fsimpl::TimerFdFile* tf = TRY(TimerFdAt(t, fd, holder));
  return t.CopyOut(curr_value, tf->Get());
}

}  // namespace bulwark::syscalls
