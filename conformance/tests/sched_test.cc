// sched_yield(2), sched_getaffinity(2), sched_setaffinity(2),
// sched_getscheduler(2), sched_getparam(2), sched_get_priority_max/min(2),
// getcpu(2), getpriority(2), setpriority(2).
// syscalls: sched_yield sched_getaffinity sched_setaffinity sched_getscheduler sched_getparam sched_get_priority_max sched_get_priority_min getcpu
// syscalls(Priority): getpriority setpriority
// syscalls(SchedSet): sched_setscheduler sched_setparam sched_rr_get_interval
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Sched, YieldSucceeds) { EXPECT_THAT(sched_yield(), SyscallSucceeds()); }

TEST(Sched, AffinityHasAtLeastOneCpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_THAT(sched_getaffinity(0, sizeof set, &set), SyscallSucceeds());
  EXPECT_GE(CPU_COUNT(&set), 1);
}

TEST(Sched, RawAffinityReturnsMaskSize) {
  unsigned long mask[16] = {};
  long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GT(n, 0);
  EXPECT_EQ(n % sizeof(unsigned long), 0);
}

TEST(Sched, AffinityTooSmallIsEINVAL) {
  unsigned char tiny[1];
  // Linux requires room for nr_cpu_ids bits rounded to longs.
  EXPECT_THAT(syscall(SYS_sched_getaffinity, 0, 1, tiny), SyscallFailsWithErrno(EINVAL));
}

TEST(Sched, SetAffinityToCurrentCpu) {
  int status = RunInChild([] {
    cpu_set_t set;
    CHILD_CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    int first = -1;
    for (int i = 0; i < CPU_SETSIZE; i++) {
      if (CPU_ISSET(i, &set)) {
        first = i;
        break;
      }
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    CHILD_CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    cpu_set_t got;
    CHILD_CHECK(sched_getaffinity(0, sizeof got, &got) == 0 && CPU_COUNT(&got) == 1);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Sched, EmptyAffinityIsEINVAL) {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_THAT(sched_setaffinity(0, sizeof set, &set), SyscallFailsWithErrno(EINVAL));
}

TEST(Sched, AffinityOfMissingProcessIsESRCH) {
  cpu_set_t set;
  EXPECT_THAT(sched_getaffinity(0x3ffffff, sizeof set, &set), SyscallFailsWithErrno(ESRCH));
}

TEST(Sched, PolicyIsOther) {
  EXPECT_THAT(sched_getscheduler(0), SyscallSucceedsWithValue(SCHED_OTHER));
}

TEST(Sched, ParamPriorityZero) {
  struct sched_param p = {99};
  ASSERT_THAT(sched_getparam(0, &p), SyscallSucceeds());
  EXPECT_EQ(p.sched_priority, 0);
}

TEST(Sched, PriorityRanges) {
  EXPECT_THAT(sched_get_priority_max(SCHED_FIFO), SyscallSucceedsWithValue(99));
  EXPECT_THAT(sched_get_priority_min(SCHED_FIFO), SyscallSucceedsWithValue(1));
  EXPECT_THAT(sched_get_priority_max(SCHED_OTHER), SyscallSucceedsWithValue(0));
  EXPECT_THAT(sched_get_priority_max(1234), SyscallFailsWithErrno(EINVAL));
}

TEST(Sched, GetschedulerBadPidIsEINVAL) {
  EXPECT_THAT(sched_getscheduler(-1), SyscallFailsWithErrno(EINVAL));
}

TEST(Sched, GetcpuReportsAllowedCpu) {
  unsigned cpu = 9999, node = 9999;
  ASSERT_THAT(syscall(SYS_getcpu, &cpu, &node, nullptr), SyscallSucceeds());
  cpu_set_t set;
  ASSERT_THAT(sched_getaffinity(0, sizeof set, &set), SyscallSucceeds());
  EXPECT_TRUE(CPU_ISSET(cpu, &set));
  EXPECT_NE(node, 9999u);
}

TEST(SchedSet, SetschedulerOtherSucceeds) {
  struct sched_param p = {0};
  EXPECT_THAT(sched_setscheduler(0, SCHED_OTHER, &p), SyscallSucceeds());
}

TEST(SchedSet, SetparamSamePrioritySucceeds) {
  struct sched_param p = {0};
  EXPECT_THAT(sched_setparam(0, &p), SyscallSucceeds());
}

TEST(SchedSet, RrIntervalReported) {
  struct timespec ts = {-1, -1};
  ASSERT_THAT(sched_rr_get_interval(0, &ts), SyscallSucceeds());
  EXPECT_GE(ts.tv_sec, 0);
}

TEST(SchedSet, InvalidPolicyIsEINVAL) {
  struct sched_param p = {0};
  EXPECT_THAT(sched_setscheduler(0, 1234, &p), SyscallFailsWithErrno(EINVAL));
}

TEST(Priority, GetReturnsNice) {
  errno = 0;
  int n = getpriority(PRIO_PROCESS, 0);
  EXPECT_EQ(errno, 0);
  EXPECT_GE(n, -20);
  EXPECT_LE(n, 19);
}

TEST(Priority, RaiseNiceInChild) {
  int status = RunInChild([] {
    int before = getpriority(PRIO_PROCESS, 0);
    CHILD_CHECK(setpriority(PRIO_PROCESS, 0, before + 5 > 19 ? 19 : before + 5) == 0);
    errno = 0;
    int after = getpriority(PRIO_PROCESS, 0);
    CHILD_CHECK(errno == 0 && after == (before + 5 > 19 ? 19 : before + 5));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Priority, UnprivilegedCannotLowerNice) {
  int status = RunInChild([] {
    CHILD_CHECK(setpriority(PRIO_PROCESS, 0, 10) == 0);
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(setpriority(PRIO_PROCESS, 0, 0) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Priority, InvalidWhichIsEINVAL) {
  EXPECT_THAT(getpriority(static_cast<__priority_which>(42), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Priority, MissingProcessIsESRCH) {
  EXPECT_THAT(setpriority(PRIO_PROCESS, 0x3ffffff, 5), SyscallFailsWithErrno(ESRCH));
}

}  // namespace
}  // namespace conformance
