// poll(2), ppoll(2).
// syscalls: poll ppoll
// syscalls(Ppoll): ppoll
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Poll, EmptyPipeReadNotReady) {
  Pipe p = MakePipe();
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  EXPECT_EQ(pfd.revents, 0);
}

TEST(Poll, PipeWithDataIsReadable) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN);
}

TEST(Poll, PipeWriteEndWritable) {
  Pipe p = MakePipe();
  struct pollfd pfd = {p.w.get(), POLLOUT, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLOUT);
}

TEST(Poll, ClosedWriterGivesPOLLHUP) {
  Pipe p = MakePipe();
  p.w.reset();
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pfd.revents & POLLHUP);
}

TEST(Poll, ClosedReaderGivesPOLLERR) {
  Pipe p = MakePipe();
  p.r.reset();
  struct pollfd pfd = {p.w.get(), POLLOUT, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(pfd.revents & POLLERR);
}

TEST(Poll, InvalidFdGivesPOLLNVAL) {
  struct pollfd pfd = {999, POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLNVAL);
}

TEST(Poll, NegativeFdIsIgnored) {
  struct pollfd pfd = {-1, POLLIN, 0x7};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  EXPECT_EQ(pfd.revents, 0);
}

TEST(Poll, RegularFileAlwaysReady) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  struct pollfd pfd = {fd.get(), POLLIN | POLLOUT, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT);
}

TEST(Poll, CountsReadyDescriptors) {
  Pipe a = MakePipe(), b = MakePipe();
  ASSERT_THAT(write(b.w.get(), "x", 1), SyscallSucceeds());
  struct pollfd pfds[3] = {{a.r.get(), POLLIN, 0}, {b.r.get(), POLLIN, 0}, {a.w.get(), POLLOUT, 0}};
  EXPECT_THAT(poll(pfds, 3, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(pfds[0].revents, 0);
  EXPECT_EQ(pfds[1].revents, POLLIN);
  EXPECT_EQ(pfds[2].revents, POLLOUT);
}

TEST(Poll, TimeoutExpiresWithZero) {
  Pipe p = MakePipe();
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 10), SyscallSucceedsWithValue(0));
}

TEST(Poll, WakesWhenChildWrites) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    usleep(20000);
    _exit(write(p.w.get(), "x", 1) == 1 ? 0 : 1);
  }
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 30000), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Poll, BadArrayIsEFAULT) {
  EXPECT_THAT(syscall(SYS_poll, 8, 1, 0), SyscallFailsWithErrno(EFAULT));
}

TEST(Poll, TooManyFdsIsEINVAL) {
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  std::vector<struct pollfd> pfds(rl.rlim_cur + 1, {-1, 0, 0});
  EXPECT_THAT(poll(pfds.data(), pfds.size(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Poll, InterruptedBySignalIsEINTR) {
  static volatile sig_atomic_t got;
  got = 0;
  ScopedSigaction sa(SIGUSR1, [](int) { got = 1; });
  Pipe p = MakePipe();
  pid_t pid = SignalWhenBlocked(getpid(), SIGUSR1);
  ASSERT_THAT(pid, SyscallSucceeds());
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 30000), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(got, 1);
  WaitStatus(pid);
}

TEST(Ppoll, ZeroTimespecPolls) {
  Pipe p = MakePipe();
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  struct timespec ts = {0, 0};
  EXPECT_THAT(ppoll(&pfd, 1, &ts, nullptr), SyscallSucceedsWithValue(0));
}

TEST(Ppoll, SignalMaskAppliedDuringWait) {
  // SIGUSR1 is blocked; ppoll's mask unblocks it, so the pending signal
  // interrupts the wait at once.
  static volatile sig_atomic_t got;
  got = 0;
  ScopedSigaction sa(SIGUSR1, [](int) { got = 1; });
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_EQ(got, 0);
  Pipe p = MakePipe();
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  sigset_t empty;
  sigemptyset(&empty);
  struct timespec ts = {30, 0};
  EXPECT_THAT(ppoll(&pfd, 1, &ts, &empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(got, 1);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, nullptr, &cur);
  EXPECT_TRUE(sigismember(&cur, SIGUSR1));
}

TEST(Ppoll, InvalidTimespecIsEINVAL) {
  struct timespec ts = {0, 2000000000};
  EXPECT_THAT(ppoll(nullptr, 0, &ts, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Ppoll, UpdatesRemainingTimeout) {
  Pipe p = MakePipe();
  ASSERT_THAT(write(p.w.get(), "x", 1), SyscallSucceeds());
  struct pollfd pfd = {p.r.get(), POLLIN, 0};
  struct timespec ts = {100, 0};
  ASSERT_THAT(syscall(SYS_ppoll, &pfd, 1, &ts, nullptr, 8), SyscallSucceedsWithValue(1));
  EXPECT_LE(ts.tv_sec, 100);
  EXPECT_GE(ts.tv_sec, 0);
}

}  // namespace
}  // namespace conformance
