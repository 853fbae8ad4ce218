// futex(2): wait/wake/requeue between processes sharing memory, errors.
// syscalls: futex
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>

#include <atomic>

#include "util/test_util.h"

namespace conformance {
namespace {

long FutexCall(void* addr, int op, int val, const struct timespec* ts = nullptr, void* addr2 = nullptr,
           int val3 = 0) {
  return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

// A futex word in memory shared with forked children.
class Futex : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = static_cast<int*>(
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    ASSERT_NE(mem_, MAP_FAILED);
  }
  void TearDown() override { munmap(mem_, 4096); }
  int* mem_;
};


TEST_F(Futex, WaitOnChangedValueIsEAGAIN) {
  *mem_ = 1;
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAIT_PRIVATE, 0), SyscallFailsWithErrno(EAGAIN));
}

TEST_F(Futex, WaitTimesOut) {
  *mem_ = 0;
  struct timespec ts = {0, 10000000};
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAIT_PRIVATE, 0, &ts), SyscallFailsWithErrno(ETIMEDOUT));
}

TEST_F(Futex, WakeWithoutWaitersReturnsZero) {
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAKE_PRIVATE, 1), SyscallSucceedsWithValue(0));
}

TEST_F(Futex, UnalignedIsEINVAL) {
  EXPECT_THAT(FutexCall(reinterpret_cast<char*>(mem_) + 1, FUTEX_WAKE, 1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Futex, BadAddressIsEFAULT) {
  EXPECT_THAT(FutexCall(reinterpret_cast<void*>(8), FUTEX_WAIT, 0), SyscallFailsWithErrno(EFAULT));
}

TEST_F(Futex, UnknownOpIsENOSYS) {
  EXPECT_THAT(FutexCall(mem_, 127, 0), SyscallFailsWithErrno(ENOSYS));
}

TEST_F(Futex, InvalidTimeoutIsEINVAL) {
  *mem_ = 0;
  struct timespec ts = {0, 2000000000};
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAIT, 0, &ts), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Futex, SharedWaitWokenByOtherProcess) {
  *mem_ = 0;
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    WaitUntilSleeping(getppid());
    __atomic_store_n(mem_, 1, __ATOMIC_SEQ_CST);
    long woken = FutexCall(mem_, FUTEX_WAKE, 1);
    _exit(woken == 1 ? 0 : 1);
  }
  struct timespec ts = {10, 0};
  long r = FutexCall(mem_, FUTEX_WAIT, 0, &ts);
  EXPECT_THAT(r, SyscallSucceedsWithValue(0));
  EXPECT_EQ(*mem_, 1);
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST_F(Futex, WaitBitsetAbsoluteTimeout) {
  *mem_ = 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 10000000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec++;
    now.tv_nsec -= 1000000000;
  }
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAIT_BITSET_PRIVATE, 0, &now, nullptr, FUTEX_BITSET_MATCH_ANY),
              SyscallFailsWithErrno(ETIMEDOUT));
}

TEST_F(Futex, ZeroBitsetIsEINVAL) {
  *mem_ = 0;
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAIT_BITSET_PRIVATE, 0, nullptr, nullptr, 0),
              SyscallFailsWithErrno(EINVAL));
}

TEST_F(Futex, CmpRequeueValueMismatchIsEAGAIN) {
  mem_[0] = 5;
  EXPECT_THAT(FutexCall(mem_, FUTEX_CMP_REQUEUE_PRIVATE, 1, reinterpret_cast<struct timespec*>(1),
                    mem_ + 1, 4),
              SyscallFailsWithErrno(EAGAIN));
}

TEST_F(Futex, RequeueMovesWaiter) {
  mem_[0] = 0;
  mem_[1] = 0;
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    struct timespec ts = {10, 0};
    long r = FutexCall(mem_, FUTEX_WAIT, 0, &ts);
    _exit(r == 0 ? 0 : 1);
  }
  WaitUntilSleeping(pid);
  // Move the waiter from mem_[0] to mem_[1], then wake it there.
  long moved = FutexCall(mem_, FUTEX_CMP_REQUEUE, 0, reinterpret_cast<struct timespec*>(1), mem_ + 1, 0);
  EXPECT_THAT(moved, SyscallSucceedsWithValue(1));
  EXPECT_THAT(FutexCall(mem_ + 1, FUTEX_WAKE, 1), SyscallSucceedsWithValue(1));
  int status = WaitStatus(pid);
  if (moved != 1) kill(pid, SIGKILL);
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST_F(Futex, WakeOpUpdatesSecondWord) {
  mem_[0] = 0;
  mem_[1] = 3;
  // *(mem_+1) += 1; wake waiters on both if old value > 0 (none waiting).
  int op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0);
  EXPECT_THAT(FutexCall(mem_, FUTEX_WAKE_OP_PRIVATE, 1, reinterpret_cast<struct timespec*>(1), mem_ + 1, op),
              SyscallSucceedsWithValue(0));
  EXPECT_EQ(mem_[1], 4);
}

}  // namespace
}  // namespace conformance
