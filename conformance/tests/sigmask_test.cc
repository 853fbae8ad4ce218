// rt_sigprocmask(2), rt_sigpending(2), rt_sigsuspend(2), rt_sigtimedwait(2),
// pause(2).
// syscalls: rt_sigprocmask rt_sigpending
// syscalls(Sigsuspend): rt_sigsuspend
// syscalls(Sigtimedwait): rt_sigtimedwait
// syscalls(Pause): pause
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

volatile sig_atomic_t g_count;
void CountHandler(int) { g_count = g_count + 1; }

sigset_t SetOf(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

sigset_t CurrentMask() {
  sigset_t s;
  sigprocmask(SIG_BLOCK, nullptr, &s);
  return s;
}

TEST(Sigprocmask, BlockAndUnblock) {
  sigset_t old;
  sigset_t s = SetOf(SIGUSR1);
  ASSERT_THAT(sigprocmask(SIG_BLOCK, &s, &old), SyscallSucceeds());
  sigset_t blocked = CurrentMask();
  EXPECT_TRUE(sigismember(&blocked, SIGUSR1));
  ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &s, nullptr), SyscallSucceeds());
  sigset_t cur = CurrentMask();
  EXPECT_FALSE(sigismember(&cur, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

TEST(Sigprocmask, SetmaskReplaces) {
  sigset_t old;
  sigset_t s = SetOf(SIGUSR2);
  ASSERT_THAT(sigprocmask(SIG_SETMASK, &s, &old), SyscallSucceeds());
  sigset_t cur = CurrentMask();
  EXPECT_TRUE(sigismember(&cur, SIGUSR2));
  EXPECT_FALSE(sigismember(&cur, SIGUSR1));
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

TEST(Sigprocmask, KillAndStopCannotBeBlocked) {
  sigset_t all, old;
  sigfillset(&all);
  ASSERT_THAT(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8), SyscallSucceeds());
  sigset_t cur;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &cur, 8);
  EXPECT_FALSE(sigismember(&cur, SIGKILL));
  EXPECT_FALSE(sigismember(&cur, SIGSTOP));
  EXPECT_TRUE(sigismember(&cur, SIGTERM));
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, 8);
}

TEST(Sigprocmask, BadHowIsEINVAL) {
  sigset_t s = SetOf(SIGUSR1);
  EXPECT_THAT(syscall(SYS_rt_sigprocmask, 42, &s, nullptr, 8), SyscallFailsWithErrno(EINVAL));
}

TEST(Sigprocmask, BadSizeIsEINVAL) {
  sigset_t s = SetOf(SIGUSR1);
  EXPECT_THAT(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &s, nullptr, 4), SyscallFailsWithErrno(EINVAL));
}

TEST(Sigprocmask, UnblockingDeliversPending) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler);
  {
    ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
    kill(getpid(), SIGUSR1);
    EXPECT_EQ(g_count, 0);
  }
  EXPECT_EQ(g_count, 1);
}

TEST(Sigprocmask, MaskInheritedByChild) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  int status = RunInChild([] {
    sigset_t cur = CurrentMask();
    CHILD_CHECK(sigismember(&cur, SIGUSR2));
  });
  EXPECT_TRUE(ExitedWith(status, 0));
}

TEST(Sigpending, ReportsBlockedPending) {
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigset_t pending;
  ASSERT_THAT(sigpending(&pending), SyscallSucceeds());
  EXPECT_TRUE(sigismember(&pending, SIGUSR1));
  EXPECT_EQ(WaitForSignal(SIGUSR1, 0), SIGUSR1);
  ASSERT_THAT(sigpending(&pending), SyscallSucceeds());
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
}

TEST(Sigpending, EmptyByDefault) {
  sigset_t pending;
  ASSERT_THAT(sigpending(&pending), SyscallSucceeds());
  EXPECT_FALSE(sigismember(&pending, SIGUSR1));
  EXPECT_FALSE(sigismember(&pending, SIGUSR2));
}

TEST(Sigsuspend, ReturnsEINTRAfterHandler) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigset_t empty;
  sigemptyset(&empty);
  EXPECT_THAT(sigsuspend(&empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_count, 1);
  sigset_t cur = CurrentMask();
  EXPECT_TRUE(sigismember(&cur, SIGUSR1));
}

TEST(Sigsuspend, WakesOnSignalFromChild) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR2, CountHandler);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  pid_t pid = SignalWhenBlocked(getpid(), SIGUSR2);
  ASSERT_THAT(pid, SyscallSucceeds());
  sigset_t empty;
  sigemptyset(&empty);
  EXPECT_THAT(sigsuspend(&empty), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_count, 1);
  WaitStatus(pid);
}

TEST(Sigtimedwait, ReturnsQueuedSignalWithInfo) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  kill(getpid(), SIGUSR1);
  sigset_t s = SetOf(SIGUSR1);
  siginfo_t info = {};
  struct timespec ts = {0, 0};
  ASSERT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_EQ(info.si_signo, SIGUSR1);
  EXPECT_EQ(info.si_pid, getpid());
}

// SIGWINCH is ignored by default, but it was blocked before the wait, so
// it is queued for sigtimedwait rather than discarded (sig_ignored() checks
// the mask from before the wait too).
TEST(Sigtimedwait, DefaultIgnoredSignalArrivingDuringWait) {
  ScopedSignalMask block(SIG_BLOCK, SIGWINCH);
  pid_t pid = SignalWhenBlocked(getpid(), SIGWINCH);
  ASSERT_THAT(pid, SyscallSucceeds());
  sigset_t s = SetOf(SIGWINCH);
  struct timespec ts = {30, 0};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallSucceedsWithValue(SIGWINCH));
  WaitStatus(pid);
}

TEST(Sigtimedwait, TimeoutIsEAGAIN) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  sigset_t s = SetOf(SIGUSR1);
  struct timespec ts = {0, 10000000};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallFailsWithErrno(EAGAIN));
}

TEST(Sigtimedwait, InvalidTimeoutIsEINVAL) {
  sigset_t s = SetOf(SIGUSR1);
  struct timespec ts = {0, -5};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallFailsWithErrno(EINVAL));
}

TEST(Sigtimedwait, LowestStandardSignalFirst) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  ScopedSignalMask block(SIG_BLOCK, s);
  kill(getpid(), SIGUSR2);
  kill(getpid(), SIGUSR1);
  struct timespec ts = {0, 0};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallSucceedsWithValue(SIGUSR2));
}

TEST(Sigtimedwait, WaitsForSignalFromChild) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  pid_t pid = SignalWhenBlocked(getpid(), SIGUSR1);
  ASSERT_THAT(pid, SyscallSucceeds());
  sigset_t s = SetOf(SIGUSR1);
  siginfo_t info = {};
  struct timespec ts = {30, 0};
  EXPECT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_EQ(info.si_pid, pid);
  WaitStatus(pid);
}

TEST(Sigtimedwait, InterruptedByOtherHandledSignal) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR2, CountHandler);
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  pid_t pid = SignalWhenBlocked(getpid(), SIGUSR2);
  ASSERT_THAT(pid, SyscallSucceeds());
  sigset_t s = SetOf(SIGUSR1);
  struct timespec ts = {30, 0};
  EXPECT_THAT(sigtimedwait(&s, nullptr, &ts), SyscallFailsWithErrno(EINTR));
  EXPECT_EQ(g_count, 1);
  WaitStatus(pid);
}

TEST(Pause, ReturnsEINTRAfterHandler) {
  g_count = 0;
  ScopedSigaction sa(SIGUSR1, CountHandler);
  pid_t parent = getpid();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    // Repeat: the parent may not be in pause() yet on the first signal.
    for (int i = 0; i < 3000; i++) {
      kill(parent, SIGUSR1);
      usleep(10000);
      if (kill(parent, 0) != 0) break;
    }
    _exit(0);
  }
  EXPECT_THAT(pause(), SyscallFailsWithErrno(EINTR));
  EXPECT_GE(g_count, 1);
  kill(pid, SIGKILL);
  WaitStatus(pid);
}

}  // namespace
}  // namespace conformance
