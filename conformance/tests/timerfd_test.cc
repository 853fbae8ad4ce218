// timerfd_create(2), timerfd_settime(2), timerfd_gettime(2).
// syscalls: timerfd_create timerfd_settime timerfd_gettime
#include <poll.h>
#include <sys/timerfd.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Timerfd, ExpiresAndCounts) {
  FileDescriptor fd(timerfd_create(CLOCK_MONOTONIC, 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  struct itimerspec its = {{0, 0}, {0, 10000000}};
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &its, nullptr), SyscallSucceeds());
  uint64_t n = 0;
  struct pollfd pfd = {fd.get(), POLLIN, 0};
  ASSERT_THAT(poll(&pfd, 1, 10000), SyscallSucceedsWithValue(1));
  ASSERT_THAT(read(fd.get(), &n, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(n, 1u);
}

TEST(Timerfd, DisarmedReadNonblockingIsEAGAIN) {
  FileDescriptor fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t n;
  EXPECT_THAT(read(fd.get(), &n, 8), SyscallFailsWithErrno(EAGAIN));
}

TEST(Timerfd, PeriodicAccumulatesExpirations) {
  FileDescriptor fd(timerfd_create(CLOCK_MONOTONIC, 0));
  ASSERT_TRUE(fd.valid());
  struct itimerspec its = {{0, 5000000}, {0, 5000000}};
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &its, nullptr), SyscallSucceeds());
  usleep(60000);
  uint64_t n = 0;
  ASSERT_THAT(read(fd.get(), &n, 8), SyscallSucceedsWithValue(8));
  EXPECT_GE(n, 2u);
}

TEST(Timerfd, GettimeShowsRemaining) {
  FileDescriptor fd(timerfd_create(CLOCK_REALTIME, 0));
  ASSERT_TRUE(fd.valid());
  struct itimerspec its = {{2, 0}, {100, 0}};
  ASSERT_THAT(timerfd_settime(fd.get(), 0, &its, nullptr), SyscallSucceeds());
  struct itimerspec cur;
  ASSERT_THAT(timerfd_gettime(fd.get(), &cur), SyscallSucceeds());
  EXPECT_GE(cur.it_value.tv_sec, 98);
  EXPECT_EQ(cur.it_interval.tv_sec, 2);
}

TEST(Timerfd, AbsoluteTimeInPastFiresImmediately) {
  FileDescriptor fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  struct itimerspec its = {{0, 0}, {0, 1}};
  ASSERT_THAT(timerfd_settime(fd.get(), TFD_TIMER_ABSTIME, &its, nullptr), SyscallSucceeds());
  uint64_t n = 0;
  EXPECT_THAT(read(fd.get(), &n, 8), SyscallSucceedsWithValue(8));
}

TEST(Timerfd, InvalidClockIsEINVAL) {
  EXPECT_THAT(timerfd_create(1234, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Timerfd, BadFlagsIsEINVAL) {
  EXPECT_THAT(timerfd_create(CLOCK_MONOTONIC, 0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Timerfd, ShortReadIsEINVAL) {
  FileDescriptor fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint32_t n;
  EXPECT_THAT(read(fd.get(), &n, 4), SyscallFailsWithErrno(EINVAL));
}

TEST(Timerfd, SettimeOnNonTimerfdIsEINVAL) {
  Pipe p = MakePipe();
  struct itimerspec its = {};
  EXPECT_THAT(timerfd_settime(p.r.get(), 0, &its, nullptr), SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
