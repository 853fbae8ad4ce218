// select(2), pselect6(2).
// syscalls: select pselect6
// syscalls(Pselect): pselect6
#include <signal.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Select, ReadableWhenDataQueued) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p.r.get(), &r);
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(p.r.get() + 1, &r, nullptr, nullptr, &tv), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(FD_ISSET(p.r.get(), &r));
}

TEST(Select, NotReadableClearsBit) {
  Pipe p = MakePipe();
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p.r.get(), &r);
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(p.r.get() + 1, &r, nullptr, nullptr, &tv), SyscallSucceedsWithValue(0));
  EXPECT_FALSE(FD_ISSET(p.r.get(), &r));
}

TEST(Select, WritableAndReadableCountedSeparately) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p.r.get(), &r);
  FD_SET(p.w.get(), &w);
  int nfds = std::max(p.r.get(), p.w.get()) + 1;
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(nfds, &r, &w, nullptr, &tv), SyscallSucceedsWithValue(2));
}

TEST(Select, ClosedFdIsEBADF) {
  // A closed fd inside the fd table (Linux ignores bits beyond the table).
  int fd = dup(0);
  ASSERT_THAT(fd, SyscallSucceeds());
  ASSERT_THAT(close(fd), SyscallSucceeds());
  fd_set r;
  FD_ZERO(&r);
  FD_SET(fd, &r);
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(fd + 1, &r, nullptr, nullptr, &tv), SyscallFailsWithErrno(EBADF));
}

TEST(Select, NegativeNfdsIsEINVAL) {
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(-1, nullptr, nullptr, nullptr, &tv), SyscallFailsWithErrno(EINVAL));
}

TEST(Select, NegativeTimeoutIsEINVAL) {
  struct timeval tv = {-1, 0};
  EXPECT_THAT(select(0, nullptr, nullptr, nullptr, &tv), SyscallFailsWithErrno(EINVAL));
}

TEST(Select, TimeoutReturnsZeroAndUpdatesTimeval) {
  struct timeval tv = {0, 20000};
  EXPECT_THAT(select(0, nullptr, nullptr, nullptr, &tv), SyscallSucceedsWithValue(0));
  EXPECT_EQ(tv.tv_sec, 0);
  EXPECT_EQ(tv.tv_usec, 0);
}

TEST(Select, HangupIsReadable) {
  Pipe p = MakePipe();
  p.w.reset();
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p.r.get(), &r);
  struct timeval tv = {0, 0};
  EXPECT_THAT(select(p.r.get() + 1, &r, nullptr, nullptr, &tv), SyscallSucceedsWithValue(1));
}

TEST(Select, WakesWhenChildWrites) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    usleep(20000);
    _exit(write(p.w.get(), "x", 1) == 1 ? 0 : 1);
  }
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p.r.get(), &r);
  struct timeval tv = {30, 0};
  EXPECT_THAT(select(p.r.get() + 1, &r, nullptr, nullptr, &tv), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Select, InterruptedBySignalIsEINTR) {
  static volatile sig_atomic_t got;
  got = 0;
  ScopedSigaction sa(SIGUSR2, [](int) { got = 1; });
  pid_t pid = SignalWhenBlocked(getpid(), SIGUSR2);
  ASSERT_THAT(pid, SyscallSucceeds());
  struct timeval tv = {30, 0};
  EXPECT_THAT(select(0, nullptr, nullptr, nullptr, &tv), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(got, 1);
  WaitStatus(pid);
}

TEST(Pselect, ZeroTimeoutPolls) {
  Pipe p = MakePipe();
  fd_set r;
  FD_ZERO(&r);
  FD_SET(p.r.get(), &r);
  struct timespec ts = {0, 0};
  EXPECT_THAT(pselect(p.r.get() + 1, &r, nullptr, nullptr, &ts, nullptr),
              SyscallSucceedsWithValue(0));
}

TEST(Pselect, MaskUnblocksPendingSignal) {
  static volatile sig_atomic_t got;
  got = 0;
  ScopedSigaction sa(SIGUSR1, [](int) { got = 1; });
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  sigset_t empty;
  sigemptyset(&empty);
  struct timespec ts = {30, 0};
  EXPECT_THAT(pselect(0, nullptr, nullptr, nullptr, &ts, &empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(got, 1);
}

TEST(Pselect, InvalidTimespecIsEINVAL) {
  struct timespec ts = {0, -1};
  EXPECT_THAT(pselect(0, nullptr, nullptr, nullptr, &ts, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Pselect, NfdsAboveLimitIsEINVAL) {
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  struct timespec ts = {0, 0};
  // Linux clamps nfds to the fd table size, but rejects negative values only;
  // an nfds larger than any possible fd is accepted with empty sets.
  EXPECT_THAT(pselect(static_cast<int>(rl.rlim_cur) + 64, nullptr, nullptr, nullptr, &ts, nullptr),
              SyscallSucceedsWithValue(0));
}

}  // namespace
}  // namespace conformance
