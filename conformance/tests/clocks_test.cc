// clock_gettime(2), clock_getres(2), gettimeofday(2), time(2), times(2),
// nanosleep(2), clock_nanosleep(2).
// syscalls: clock_gettime clock_getres gettimeofday time times
// syscalls(Nanosleep): nanosleep clock_nanosleep
// syscalls(ClockNanosleep): clock_nanosleep
// syscalls(Times): times
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "util/test_util.h"

namespace conformance {
namespace {

int64_t Ns(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

int64_t RawNow(clockid_t c) {
  struct timespec t;
  if (syscall(SYS_clock_gettime, c, &t) != 0) return -1;
  return Ns(t);
}

TEST(ClockGettime, RealtimeIsAfter2020) {
  struct timespec t;
  ASSERT_THAT(syscall(SYS_clock_gettime, CLOCK_REALTIME, &t), SyscallSucceeds());
  EXPECT_GT(t.tv_sec, 1577836800);
  EXPECT_LT(t.tv_nsec, 1000000000);
}

TEST(ClockGettime, MonotonicNeverGoesBack) {
  int64_t prev = RawNow(CLOCK_MONOTONIC);
  for (int i = 0; i < 1000; i++) {
    int64_t now = RawNow(CLOCK_MONOTONIC);
    ASSERT_GE(now, prev);
    prev = now;
  }
}

TEST(ClockGettime, AllCommonClocksWork) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                      CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID,
                      CLOCK_THREAD_CPUTIME_ID}) {
    struct timespec t;
    EXPECT_THAT(syscall(SYS_clock_gettime, c, &t), SyscallSucceeds()) << "clock " << c;
  }
}

TEST(ClockGettime, InvalidClockIsEINVAL) {
  struct timespec t;
  EXPECT_THAT(syscall(SYS_clock_gettime, 1234, &t), SyscallFailsWithErrno(EINVAL));
}

TEST(ClockGettime, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, reinterpret_cast<void*>(8)),
              SyscallFailsWithErrno(EFAULT));
}

TEST(ClockGettime, ProcessCpuTimeAdvancesWithWork) {
  int64_t before = RawNow(CLOCK_PROCESS_CPUTIME_ID);
  volatile uint64_t x = 0;
  int64_t start = RawNow(CLOCK_MONOTONIC);
  while (RawNow(CLOCK_MONOTONIC) - start < 50000000) x = x + 1;
  EXPECT_GT(RawNow(CLOCK_PROCESS_CPUTIME_ID), before);
}

TEST(ClockGettime, BoottimeAtLeastMonotonic) {
  int64_t mono = RawNow(CLOCK_MONOTONIC);
  int64_t boot = RawNow(CLOCK_BOOTTIME);
  EXPECT_GE(boot, mono);
}

TEST(ClockGettime, OtherProcessCpuClock) {
  // clock_getcpuclockid(3): CPU clock of another process.
  clockid_t cid;
  ASSERT_EQ(clock_getcpuclockid(getppid() > 1 ? getpid() : getpid(), &cid), 0);
  struct timespec t;
  EXPECT_THAT(syscall(SYS_clock_gettime, cid, &t), SyscallSucceeds());
}

TEST(ClockGetres, ResolutionPositiveAndSmall) {
  struct timespec r;
  ASSERT_THAT(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r), SyscallSucceeds());
  EXPECT_EQ(r.tv_sec, 0);
  EXPECT_GT(r.tv_nsec, 0);
  EXPECT_LE(r.tv_nsec, 10000000);
}

TEST(ClockGetres, NullPointerAllowed) {
  EXPECT_THAT(syscall(SYS_clock_getres, CLOCK_REALTIME, nullptr), SyscallSucceeds());
}

TEST(ClockGetres, InvalidClockIsEINVAL) {
  struct timespec r;
  EXPECT_THAT(syscall(SYS_clock_getres, 999, &r), SyscallFailsWithErrno(EINVAL));
}

TEST(Gettimeofday, CloseToRealtime) {
  struct timeval tv;
  ASSERT_THAT(syscall(SYS_gettimeofday, &tv, nullptr), SyscallSucceeds());
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  EXPECT_LE(tv.tv_sec, ts.tv_sec);
  EXPECT_GE(tv.tv_sec + 5, ts.tv_sec);
  EXPECT_LT(tv.tv_usec, 1000000);
}

TEST(Gettimeofday, TimezoneFilled) {
  struct timezone tz = {-1, -1};
  ASSERT_THAT(syscall(SYS_gettimeofday, nullptr, &tz), SyscallSucceeds());
  EXPECT_NE(tz.tz_minuteswest, -1);
}

TEST(Time, MatchesRealtime) {
  time_t t = 0;
  long r = syscall(SYS_time, &t);
  ASSERT_THAT(r, SyscallSucceeds());
  EXPECT_EQ(r, t);
  EXPECT_GT(t, 1577836800);
}

TEST(Times, ReturnsClockTicks) {
  struct tms t;
  long r = syscall(SYS_times, &t);
  ASSERT_NE(r, -1);
  EXPECT_GE(t.tms_utime, 0);
  EXPECT_GE(t.tms_stime, 0);
}

TEST(Times, ChildTimesAccumulateAfterWait) {
  int status = RunInChild([] {
    // Burn CPU for 100 ms of wall time (bounded even if CPU clocks stand still).
    volatile uint64_t x = 0;
    int64_t start = RawNow(CLOCK_MONOTONIC);
    while (RawNow(CLOCK_MONOTONIC) - start < 100000000) x = x + 1;
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  struct tms t;
  ASSERT_NE(syscall(SYS_times, &t), -1);
  EXPECT_GT(t.tms_cutime + t.tms_cstime, 0);
}

TEST(Nanosleep, SleepsAtLeastRequested) {
  int64_t start = RawNow(CLOCK_MONOTONIC);
  struct timespec req = {0, 20000000};
  ASSERT_THAT(nanosleep(&req, nullptr), SyscallSucceeds());
  EXPECT_GE(RawNow(CLOCK_MONOTONIC) - start, 20000000);
}

TEST(Nanosleep, InvalidNsecIsEINVAL) {
  struct timespec req = {0, 1000000000};
  EXPECT_THAT(nanosleep(&req, nullptr), SyscallFailsWithErrno(EINVAL));
  struct timespec neg = {-1, 0};
  EXPECT_THAT(nanosleep(&neg, nullptr), SyscallFailsWithErrno(EINVAL));
}

TEST(Nanosleep, ZeroReturnsImmediately) {
  struct timespec req = {0, 0};
  EXPECT_THAT(nanosleep(&req, nullptr), SyscallSucceeds());
}

TEST(Nanosleep, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_nanosleep, reinterpret_cast<void*>(8), nullptr), SyscallFailsWithErrno(EFAULT));
}

TEST(ClockNanosleep, AbsoluteDeadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec until = now;
  until.tv_nsec += 20000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  ASSERT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr), 0);
  EXPECT_GE(RawNow(CLOCK_MONOTONIC), Ns(until));
}

TEST(ClockNanosleep, PastAbsoluteDeadlineReturnsAtOnce) {
  struct timespec past = {1, 0};
  EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, nullptr), 0);
}

TEST(ClockNanosleep, InvalidClockIsEINVAL) {
  struct timespec req = {0, 1000};
  EXPECT_EQ(clock_nanosleep(1234, 0, &req, nullptr), EINVAL);
}

TEST(ClockNanosleep, RealtimeRelative) {
  struct timespec req = {0, 5000000};
  EXPECT_EQ(clock_nanosleep(CLOCK_REALTIME, 0, &req, nullptr), 0);
}

TEST(ClockNanosleep, ThreadCpuClockIsEINVAL) {
  struct timespec req = {0, 1000};
  EXPECT_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, nullptr), EINVAL);
}

}  // namespace
}  // namespace conformance
