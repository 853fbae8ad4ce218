// alarm(2), setitimer(2), getitimer(2), timer_create(2) family.
// syscalls: alarm setitimer getitimer
// syscalls(PosixTimer): timer_create timer_settime timer_gettime timer_getoverrun timer_delete
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "util/test_util.h"

namespace conformance {
namespace {

// Every test here makes its first call checked, so a kernel without the
// call fails at once instead of waiting for a signal that never comes.

TEST(Alarm, ReturnsZeroThenRemaining) {
  ASSERT_THAT(syscall(SYS_alarm, 100), SyscallSucceedsWithValue(0));
  long left = syscall(SYS_alarm, 0);
  EXPECT_GE(left, 99);
  EXPECT_LE(left, 100);
}

TEST(Alarm, DeliversSigalrm) {
  ScopedSignalMask block(SIG_BLOCK, SIGALRM);
  ASSERT_THAT(syscall(SYS_alarm, 1), SyscallSucceedsWithValue(0));
  EXPECT_EQ(WaitForSignal(SIGALRM, 10000), SIGALRM);
}

TEST(Alarm, ZeroCancels) {
  ScopedSignalMask block(SIG_BLOCK, SIGALRM);
  ASSERT_THAT(syscall(SYS_alarm, 1), SyscallSucceedsWithValue(0));
  ASSERT_THAT(syscall(SYS_alarm, 0), SyscallSucceeds());
  EXPECT_EQ(WaitForSignal(SIGALRM, 1500), -1);
}

TEST(Alarm, NotInheritedByChild) {
  ASSERT_THAT(syscall(SYS_alarm, 50), SyscallSucceedsWithValue(0));
  int status = RunInChild([] { CHILD_CHECK(syscall(SYS_alarm, 0) == 0); });
  syscall(SYS_alarm, 0);
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Setitimer, RealTimerFires) {
  ScopedSignalMask block(SIG_BLOCK, SIGALRM);
  struct itimerval it = {{0, 0}, {0, 50000}};
  ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
  EXPECT_EQ(WaitForSignal(SIGALRM, 10000), SIGALRM);
}

TEST(Setitimer, GetitimerReportsRemaining) {
  struct itimerval it = {{0, 0}, {100, 0}};
  ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
  struct itimerval cur;
  ASSERT_THAT(getitimer(ITIMER_REAL, &cur), SyscallSucceeds());
  EXPECT_LE(cur.it_value.tv_sec, 100);
  EXPECT_GE(cur.it_value.tv_sec, 98);
  struct itimerval off = {};
  setitimer(ITIMER_REAL, &off, nullptr);
}

TEST(Setitimer, OldValueReturned) {
  struct itimerval it = {{0, 0}, {200, 0}};
  ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
  struct itimerval off = {}, old;
  ASSERT_THAT(setitimer(ITIMER_REAL, &off, &old), SyscallSucceeds());
  EXPECT_GE(old.it_value.tv_sec, 198);
}

TEST(Setitimer, InvalidWhichIsEINVAL) {
  struct itimerval it = {};
  EXPECT_THAT(setitimer(static_cast<__itimer_which>(7), &it, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Setitimer, InvalidUsecIsEINVAL) {
  struct itimerval it = {{0, 0}, {0, 1000000}};
  EXPECT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Setitimer, VirtualTimerFiresOnCpuUse) {
  int status = RunInChild([] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGVTALRM);
    sigprocmask(SIG_BLOCK, &s, nullptr);
    struct itimerval it = {{0, 0}, {0, 20000}};
    CHILD_CHECK(setitimer(ITIMER_VIRTUAL, &it, nullptr) == 0);
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 4000000000ULL; i++) {
      x = x + 1;
      if ((i & 0xfffff) == 0) {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGVTALRM)) _exit(0);
      }
    }
    _exit(1);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(PosixTimer, CreateArmAndFire) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 31337;
  timer_t t;
  ASSERT_THAT(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &t), SyscallSucceeds());
  struct itimerspec its = {{0, 0}, {0, 20000000}};
  ASSERT_THAT(syscall(SYS_timer_settime, t, 0, &its, nullptr), SyscallSucceeds());
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  siginfo_t info = {};
  struct timespec ts = {10, 0};
  EXPECT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_EQ(info.si_code, SI_TIMER);
  EXPECT_EQ(info.si_value.sival_int, 31337);
  EXPECT_THAT(syscall(SYS_timer_delete, t), SyscallSucceeds());
}

TEST(PosixTimer, GettimeReportsRemaining) {
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_NONE;
  timer_t t;
  ASSERT_THAT(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &t), SyscallSucceeds());
  struct itimerspec its = {{1, 0}, {100, 0}};
  ASSERT_THAT(syscall(SYS_timer_settime, t, 0, &its, nullptr), SyscallSucceeds());
  struct itimerspec cur;
  ASSERT_THAT(syscall(SYS_timer_gettime, t, &cur), SyscallSucceeds());
  EXPECT_GE(cur.it_value.tv_sec, 98);
  EXPECT_EQ(cur.it_interval.tv_sec, 1);
  EXPECT_THAT(syscall(SYS_timer_getoverrun, t), SyscallSucceedsWithValue(0));
  syscall(SYS_timer_delete, t);
}

TEST(PosixTimer, DeleteTwiceIsEINVAL) {
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_NONE;
  timer_t t;
  ASSERT_THAT(syscall(SYS_timer_create, CLOCK_REALTIME, &sev, &t), SyscallSucceeds());
  ASSERT_THAT(syscall(SYS_timer_delete, t), SyscallSucceeds());
  EXPECT_THAT(syscall(SYS_timer_delete, t), SyscallFailsWithErrno(EINVAL));
}

TEST(PosixTimer, InvalidClockIsEINVAL) {
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_NONE;
  timer_t t;
  EXPECT_THAT(syscall(SYS_timer_create, 4321, &sev, &t), SyscallFailsWithErrno(EINVAL));
}

TEST(PosixTimer, PeriodicOverrunsCounted) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  timer_t t;
  ASSERT_THAT(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &t), SyscallSucceeds());
  struct itimerspec its = {{0, 1000000}, {0, 1000000}};
  ASSERT_THAT(syscall(SYS_timer_settime, t, 0, &its, nullptr), SyscallSucceeds());
  usleep(50000);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  siginfo_t info = {};
  struct timespec ts = {5, 0};
  ASSERT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGUSR2));
  EXPECT_EQ(info.si_code, SI_TIMER);
  EXPECT_GT(info.si_overrun, 10);
  // The timer keeps firing and queues a new signal: timer_getoverrun still
  // reports the signal taken last.
  usleep(5000);
  EXPECT_GT(syscall(SYS_timer_getoverrun, t), 10);
  syscall(SYS_timer_delete, t);
  struct timespec zero = {0, 0};
  while (sigtimedwait(&s, &info, &zero) > 0) {
  }
}

TEST(PosixTimer, ThreadIdTargetsThread) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGUSR1;
  sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
  timer_t t;
  ASSERT_THAT(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &t), SyscallSucceeds());
  struct itimerspec its = {{0, 0}, {0, 1000000}};
  ASSERT_THAT(syscall(SYS_timer_settime, t, 0, &its, nullptr), SyscallSucceeds());
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  siginfo_t info = {};
  struct timespec ts = {5, 0};
  EXPECT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGUSR1));
  EXPECT_EQ(info.si_code, SI_TIMER);
  syscall(SYS_timer_delete, t);
  // Another process's thread is not a valid target.
  sev._sigev_un._tid = 1;
  if (getpid() != 1) {
    EXPECT_THAT(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &t),
                SyscallFailsWithErrno(EINVAL));
  }
}

TEST(Setitimer, IntervalRepeats) {
  ScopedSignalMask block(SIG_BLOCK, SIGALRM);
  struct itimerval it = {{0, 5000}, {0, 5000}};
  ASSERT_THAT(setitimer(ITIMER_REAL, &it, nullptr), SyscallSucceeds());
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGALRM);
  siginfo_t info;
  struct timespec ts = {5, 0};
  EXPECT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGALRM));
  EXPECT_THAT(sigtimedwait(&s, &info, &ts), SyscallSucceedsWithValue(SIGALRM));
  struct itimerval cur;
  ASSERT_THAT(getitimer(ITIMER_REAL, &cur), SyscallSucceeds());
  EXPECT_EQ(cur.it_interval.tv_usec, 5000);
  struct itimerval off = {};
  ASSERT_THAT(setitimer(ITIMER_REAL, &off, nullptr), SyscallSucceeds());
  struct timespec zero = {0, 0};
  while (sigtimedwait(&s, &info, &zero) > 0) {
  }
}

}  // namespace
}  // namespace conformance
