// getrusage(2).
// syscalls: getrusage
#include <sys/resource.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

void Burn(int64_t ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  volatile uint64_t x = 0;
  do {
    for (int i = 0; i < 10000; i++) x = x + 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec) < ns);
}

TEST(Getrusage, SelfSucceeds) {
  struct rusage ru;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &ru), SyscallSucceeds());
  EXPECT_LT(ru.ru_utime.tv_usec, 1000000);
  EXPECT_LT(ru.ru_stime.tv_usec, 1000000);
}

TEST(Getrusage, UserTimeGrowsWithWork) {
  struct rusage before, after;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &before), SyscallSucceeds());
  Burn(100000000);
  ASSERT_THAT(getrusage(RUSAGE_SELF, &after), SyscallSucceeds());
  int64_t b = before.ru_utime.tv_sec * 1000000LL + before.ru_utime.tv_usec +
              before.ru_stime.tv_sec * 1000000LL + before.ru_stime.tv_usec;
  int64_t a = after.ru_utime.tv_sec * 1000000LL + after.ru_utime.tv_usec +
              after.ru_stime.tv_sec * 1000000LL + after.ru_stime.tv_usec;
  EXPECT_GT(a, b);
}

TEST(Getrusage, ChildrenCountedAfterWait) {
  struct rusage before;
  ASSERT_THAT(getrusage(RUSAGE_CHILDREN, &before), SyscallSucceeds());
  int status = RunInChild([] { Burn(100000000); });
  ASSERT_TRUE(ExitedWith(status, 0));
  struct rusage after;
  ASSERT_THAT(getrusage(RUSAGE_CHILDREN, &after), SyscallSucceeds());
  int64_t b = before.ru_utime.tv_sec * 1000000LL + before.ru_utime.tv_usec;
  int64_t a = after.ru_utime.tv_sec * 1000000LL + after.ru_utime.tv_usec;
  EXPECT_GT(a, b);
}

TEST(Getrusage, ThreadSucceeds) {
  struct rusage ru;
  EXPECT_THAT(getrusage(RUSAGE_THREAD, &ru), SyscallSucceeds());
}

TEST(Getrusage, InvalidWhoIsEINVAL) {
  struct rusage ru;
  EXPECT_THAT(syscall(SYS_getrusage, 42, &ru), SyscallFailsWithErrno(EINVAL));
}

TEST(Getrusage, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_getrusage, RUSAGE_SELF, reinterpret_cast<void*>(8)),
              SyscallFailsWithErrno(EFAULT));
}

TEST(Getrusage, MaxRssIsReported) {
  struct rusage ru;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &ru), SyscallSucceeds());
  EXPECT_GT(ru.ru_maxrss, 0);
}

TEST(Getrusage, MinorFaultsCounted) {
  struct rusage before, after;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &before), SyscallSucceeds());
  char* p = static_cast<char*>(
      mmap(nullptr, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  for (int i = 0; i < 64; i++) p[i * 4096] = 1;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &after), SyscallSucceeds());
  EXPECT_GT(after.ru_minflt, before.ru_minflt);
  munmap(p, 64 * 4096);
}

TEST(Getrusage, ContextSwitchesCounted) {
  struct rusage before, after;
  ASSERT_THAT(getrusage(RUSAGE_SELF, &before), SyscallSucceeds());
  struct timespec ts = {0, 1000000};
  for (int i = 0; i < 5; i++) nanosleep(&ts, nullptr);
  ASSERT_THAT(getrusage(RUSAGE_SELF, &after), SyscallSucceeds());
  EXPECT_GT(after.ru_nvcsw, before.ru_nvcsw);
}

}  // namespace
}  // namespace conformance
