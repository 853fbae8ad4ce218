#include <time.h>

#include <chrono>

#include "sentry/syscalls/linux/sys_time.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using TimeTest = TaskFixture;

int64_t Ns(const timespec& ts) { return ts.tv_sec * 1000000000LL + ts.tv_nsec; }
int64_t MonoNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Ns(ts);
}

// A pending, unblocked signal: Block returns at once.
void MakePending(kernel::Task& t) {
  siginfo_t info{};
  info.si_signo = SIGCHLD;
  t.pending.Enqueue(info);
}

TEST_F(TimeTest, ClockGettimeHostClocks) {
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                      CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI}) {
    timespec host;
    clock_gettime(c, &host);
    ASSERT_TRUE(sys_clock_gettime(t(), c, UserPtr<timespec>{kData}).has_value()) << c;
    auto ts = Read<timespec>(kData);
    EXPECT_NEAR(Ns(ts), Ns(host), 1e9) << c;
  }
  for (clockid_t c : {10, 12, 100, (-1 & ~7) | 3})
    EXPECT_ERRNO(sys_clock_gettime(t(), c, UserPtr<timespec>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_clock_gettime(t(), CLOCK_MONOTONIC, UserPtr<timespec>{kBad}), kEFAULT);
}

TEST_F(TimeTest, CpuClocks) {
  t().utime_ns = 3000000000;
  t().stime_ns = 500;
  tg_->utime_ns = 1000000000;  // exited threads
  ASSERT_TRUE(sys_clock_gettime(t(), CLOCK_THREAD_CPUTIME_ID, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 3000000500);
  ASSERT_TRUE(sys_clock_gettime(t(), CLOCK_PROCESS_CPUTIME_ID, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 4000000500);
  // pthread_getcpuclockid(self): ~0 << 3 | per-thread | SCHED; VIRT counts user time only.
  clockid_t thread_sched = (~0 << 3) | 4 | 2, process_virt = (~0 << 3) | 1;
  ASSERT_TRUE(sys_clock_gettime(t(), thread_sched, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 3000000500);
  ASSERT_TRUE(sys_clock_gettime(t(), process_virt, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 4000000000);
  // Unknown process / thread.
  clockid_t other = (~pid_t{4242} << 3) | 2;
  EXPECT_ERRNO(sys_clock_gettime(t(), other, UserPtr<timespec>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_clock_gettime(t(), other | 4, UserPtr<timespec>{kData}), kEINVAL);
}

TEST_F(TimeTest, ClockGetres) {
  ASSERT_TRUE(sys_clock_getres(t(), CLOCK_MONOTONIC, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 1);
  ASSERT_TRUE(sys_clock_getres(t(), CLOCK_PROCESS_CPUTIME_ID, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), 1);
  timespec coarse;
  clock_getres(CLOCK_REALTIME_COARSE, &coarse);
  ASSERT_TRUE(sys_clock_getres(t(), CLOCK_REALTIME_COARSE, UserPtr<timespec>{kData}));
  EXPECT_EQ(Ns(Read<timespec>(kData)), Ns(coarse));
  EXPECT_TRUE(sys_clock_getres(t(), CLOCK_REALTIME, UserPtr<timespec>{0}).has_value());
  EXPECT_ERRNO(sys_clock_getres(t(), 99, UserPtr<timespec>{0}), kEINVAL);
}

TEST_F(TimeTest, GettimeofdayAndTime) {
  ASSERT_TRUE(sys_gettimeofday(t(), UserPtr<timeval>{kData}, UserPtr<struct timezone>{kData + 64}));
  auto tv = Read<timeval>(kData);
  EXPECT_NEAR(tv.tv_sec, ::time(nullptr), 2);
  EXPECT_LT(tv.tv_usec, 1000000);
  EXPECT_TRUE(sys_gettimeofday(t(), UserPtr<timeval>{0}, UserPtr<struct timezone>{0}));
  EXPECT_ERRNO(sys_gettimeofday(t(), UserPtr<timeval>{kBad}, UserPtr<struct timezone>{0}), kEFAULT);
  auto now = sys_time(t(), UserPtr<time_t>{kData});
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(Read<time_t>(kData), *now);
  EXPECT_TRUE(sys_time(t(), UserPtr<time_t>{0}).has_value());
  EXPECT_ERRNO(sys_time(t(), UserPtr<time_t>{kBad}), kEFAULT);
}

TEST_F(TimeTest, NanosleepSleeps) {
  Write(kData, timespec{0, 20000000});
  int64_t start = MonoNs();
  ASSERT_TRUE(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{0}));
  EXPECT_GE(MonoNs() - start, 20000000);
}

TEST_F(TimeTest, NanosleepInvalid) {
  Write(kData, timespec{0, 1000000000});
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{0}), kEINVAL);
  Write(kData, timespec{-1, 0});
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{0}), kEINVAL);
  Write(kData, timespec{0, -1});
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{0}), kEINVAL);
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kBad}, UserPtr<timespec>{0}), kEFAULT);
}

TEST_F(TimeTest, NanosleepInterruptedWritesRemaining) {
  Write(kData, timespec{5, 0});
  MakePending(t());
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{kData + 64}),
               kERESTARTNOHAND);
  auto rem = Read<timespec>(kData + 64);
  EXPECT_GT(Ns(rem), 4000000000);
  EXPECT_LE(Ns(rem), 5000000000);
  EXPECT_ERRNO(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{kBad}), kEFAULT);
  // A zero sleep completes even with a signal pending.
  Write(kData, timespec{0, 0});
  EXPECT_TRUE(sys_nanosleep(t(), UserPtr<timespec>{kData}, UserPtr<timespec>{0}));
}

TEST_F(TimeTest, ClockNanosleep) {
  auto req = UserPtr<timespec>{kData};
  auto rem = UserPtr<timespec>{kData + 64};
  Write(kData, timespec{0, 1000});
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_THREAD_CPUTIME_ID, 0, req, rem), kEINVAL);
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_PROCESS_CPUTIME_ID, 0, req, rem), kEOPNOTSUPP);
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_MONOTONIC_RAW, 0, req, rem), kEOPNOTSUPP);
  EXPECT_ERRNO(sys_clock_nanosleep(t(), 77, 0, req, rem), kEINVAL);
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_BOOTTIME_ALARM, 0, req, rem), kEPERM);
  for (clockid_t c : {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI})
    EXPECT_TRUE(sys_clock_nanosleep(t(), c, 0, req, rem).has_value()) << c;

  // Absolute deadlines, on CLOCK_MONOTONIC and converted from REALTIME.
  for (clockid_t c : {CLOCK_MONOTONIC, CLOCK_REALTIME}) {
    timespec now;
    clock_gettime(c, &now);
    int64_t deadline = Ns(now) + 20000000;
    Write(kData, timespec{deadline / 1000000000, deadline % 1000000000});
    int64_t start = MonoNs();
    ASSERT_TRUE(sys_clock_nanosleep(t(), c, TIMER_ABSTIME, req, rem).has_value());
    EXPECT_GE(MonoNs() - start, 15000000) << c;
  }
  // A past deadline returns at once.
  Write(kData, timespec{1, 0});
  EXPECT_TRUE(sys_clock_nanosleep(t(), CLOCK_MONOTONIC, TIMER_ABSTIME, req, rem).has_value());

  // Interrupted: relative sleeps write *rem, absolute ones do not.
  MakePending(t());
  Write(kData + 64, timespec{9, 9});
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  Write(kData, timespec{now.tv_sec + 5, 0});
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_MONOTONIC, TIMER_ABSTIME, req, rem),
               kERESTARTNOHAND);
  EXPECT_EQ(Read<timespec>(kData + 64).tv_sec, 9);
  Write(kData, timespec{3, 0});
  EXPECT_ERRNO(sys_clock_nanosleep(t(), CLOCK_MONOTONIC, 0, req, rem), kERESTARTNOHAND);
  EXPECT_EQ(Read<timespec>(kData + 64).tv_sec, 2);
}

TEST_F(TimeTest, TimesAndGetrusage) {
  t().utime_ns = 2500000000;
  t().stime_ns = 30000000;
  tg_->cutime_ns = 100000000;
  tg_->cstime_ns = 20000000;
  auto r = sys_times(t(), UserPtr<struct tms>{kData});
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(*r, 0);
  auto tms = Read<struct tms>(kData);
  EXPECT_EQ(tms.tms_utime, 250);
  EXPECT_EQ(tms.tms_stime, 3);
  EXPECT_EQ(tms.tms_cutime, 10);
  EXPECT_EQ(tms.tms_cstime, 2);
  EXPECT_TRUE(sys_times(t(), UserPtr<struct tms>{0}).has_value());
  EXPECT_ERRNO(sys_times(t(), UserPtr<struct tms>{kBad}), kEFAULT);

  ASSERT_TRUE(sys_getrusage(t(), RUSAGE_SELF, UserPtr<struct rusage>{kData}));
  auto ru = Read<struct rusage>(kData);
  EXPECT_EQ(ru.ru_utime.tv_sec, 2);
  EXPECT_EQ(ru.ru_utime.tv_usec, 500000);
  EXPECT_EQ(ru.ru_stime.tv_usec, 30000);
  ASSERT_TRUE(sys_getrusage(t(), RUSAGE_CHILDREN, UserPtr<struct rusage>{kData}));
  EXPECT_EQ(Read<struct rusage>(kData).ru_utime.tv_usec, 100000);
  ASSERT_TRUE(sys_getrusage(t(), RUSAGE_THREAD, UserPtr<struct rusage>{kData}));
  EXPECT_ERRNO(sys_getrusage(t(), 7, UserPtr<struct rusage>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_getrusage(t(), RUSAGE_SELF, UserPtr<struct rusage>{kBad}), kEFAULT);
}

}  // namespace
}  // namespace bulwark::syscalls
