// eventfd(2), eventfd2(2).
// syscalls: eventfd eventfd2
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Eventfd, InitialValueRead) {
  FileDescriptor fd(eventfd(5, 0));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 5u);
}

TEST(Eventfd, WritesAccumulate) {
  FileDescriptor fd(eventfd(0, 0));
  ASSERT_TRUE(fd.valid());
  uint64_t a = 3, b = 4;
  ASSERT_THAT(write(fd.get(), &a, 8), SyscallSucceedsWithValue(8));
  ASSERT_THAT(write(fd.get(), &b, 8), SyscallSucceedsWithValue(8));
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 7u);
}

TEST(Eventfd, NonblockingReadAtZeroIsEAGAIN) {
  FileDescriptor fd(eventfd(0, EFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t v;
  EXPECT_THAT(read(fd.get(), &v, 8), SyscallFailsWithErrno(EAGAIN));
}

TEST(Eventfd, SemaphoreModeDecrementsByOne) {
  FileDescriptor fd(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 1u);
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_THAT(read(fd.get(), &v, 8), SyscallFailsWithErrno(EAGAIN));
}

TEST(Eventfd, ShortBufferIsEINVAL) {
  FileDescriptor fd(eventfd(1, 0));
  ASSERT_TRUE(fd.valid());
  uint32_t v;
  EXPECT_THAT(read(fd.get(), &v, 4), SyscallFailsWithErrno(EINVAL));
}

TEST(Eventfd, WritingMaxIsEINVAL) {
  FileDescriptor fd(eventfd(0, 0));
  ASSERT_TRUE(fd.valid());
  uint64_t v = UINT64_MAX;
  EXPECT_THAT(write(fd.get(), &v, 8), SyscallFailsWithErrno(EINVAL));
}

TEST(Eventfd, OverflowNonblockingIsEAGAIN) {
  FileDescriptor fd(eventfd(0, EFD_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  uint64_t v = UINT64_MAX - 1;
  ASSERT_THAT(write(fd.get(), &v, 8), SyscallSucceeds());
  uint64_t one = 1;
  EXPECT_THAT(write(fd.get(), &one, 8), SyscallFailsWithErrno(EAGAIN));
}

TEST(Eventfd, PollReadability) {
  FileDescriptor fd(eventfd(0, 0));
  ASSERT_TRUE(fd.valid());
  struct pollfd pfd = {fd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLOUT);
  uint64_t one = 1;
  write(fd.get(), &one, 8);
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT);
}

TEST(Eventfd, BadFlagsIsEINVAL) {
  EXPECT_THAT(syscall(SYS_eventfd2, 0, 0x2), SyscallFailsWithErrno(EINVAL));
}

TEST(Eventfd, LegacyCall) {
  long fd = syscall(SYS_eventfd, 9);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor f(fd);
  uint64_t v = 0;
  ASSERT_THAT(read(f.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 9u);
}

TEST(Eventfd, SharedAcrossFork) {
  FileDescriptor fd(eventfd(0, 0));
  ASSERT_TRUE(fd.valid());
  int status = RunInChild([&] {
    uint64_t v = 11;
    CHILD_CHECK(write(fd.get(), &v, 8) == 8);
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, 8), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 11u);
}

}  // namespace
}  // namespace conformance
