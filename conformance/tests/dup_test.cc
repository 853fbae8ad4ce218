// dup(2), dup2(2), dup3(2), close_range(2).
// syscalls: dup dup2 dup3
// syscalls(CloseRange): close_range
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

FileDescriptor OpenNull() { return FileDescriptor(open("/dev/null", O_RDONLY)); }

TEST(Dup, ReturnsLowestFreeFd) {
  FileDescriptor a = OpenNull();
  FileDescriptor b = OpenNull();
  int lowest = a.get();
  a.reset();
  FileDescriptor c(dup(b.get()));
  EXPECT_EQ(c.get(), lowest);
}

TEST(Dup, SharesFileDescription) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abcdef"));
  FileDescriptor a(open(dir.Join("f").c_str(), O_RDONLY));
  FileDescriptor b(dup(a.get()));
  ASSERT_TRUE(b.valid());
  ASSERT_THAT(lseek(a.get(), 3, SEEK_SET), SyscallSucceeds());
  EXPECT_THAT(lseek(b.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(3));
  ASSERT_THAT(fcntl(a.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  EXPECT_TRUE(fcntl(b.get(), F_GETFL) & O_NONBLOCK);
}

TEST(Dup, ClearsCloexec) {
  FileDescriptor a(open("/dev/null", O_RDONLY | O_CLOEXEC));
  FileDescriptor b(dup(a.get()));
  EXPECT_THAT(fcntl(b.get(), F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Dup, BadFdIsEBADF) { EXPECT_THAT(dup(-1), SyscallFailsWithErrno(EBADF)); }

TEST(Dup, ClosingOneKeepsOther) {
  Pipe p = MakePipe();
  FileDescriptor w2(dup(p.w.get()));
  p.w.reset();
  ASSERT_THAT(write(w2.get(), "x", 1), SyscallSucceedsWithValue(1));
  char c;
  EXPECT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
}

TEST(Dup, RespectsNofileLimit) {
  FileDescriptor a = OpenNull();
  int status = RunInChild([&] {
    struct rlimit rl = {static_cast<rlim_t>(a.get()), static_cast<rlim_t>(a.get())};
    CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHILD_CHECK(dup(a.get()) == -1 && errno == EMFILE);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Dup2, ToChosenFd) {
  FileDescriptor a = OpenNull();
  ASSERT_THAT(dup2(a.get(), 100), SyscallSucceedsWithValue(100));
  FileDescriptor b(100);
  EXPECT_THAT(fcntl(100, F_GETFD), SyscallSucceeds());
}

TEST(Dup2, ReplacesOpenTarget) {
  Pipe p = MakePipe();
  FileDescriptor n = OpenNull();
  ASSERT_THAT(dup2(p.w.get(), n.get()), SyscallSucceedsWithValue(n.get()));
  ASSERT_THAT(write(n.get(), "y", 1), SyscallSucceedsWithValue(1));
  char c;
  ASSERT_THAT(read(p.r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'y');
}

TEST(Dup2, SameFdIsNoopReturningFd) {
  FileDescriptor a(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_THAT(dup2(a.get(), a.get()), SyscallSucceedsWithValue(a.get()));
  EXPECT_THAT(fcntl(a.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Dup2, SameInvalidFdIsEBADF) { EXPECT_THAT(dup2(777, 777), SyscallFailsWithErrno(EBADF)); }

TEST(Dup2, TargetBeyondLimitIsEBADF) {
  FileDescriptor a = OpenNull();
  struct rlimit rl;
  ASSERT_THAT(getrlimit(RLIMIT_NOFILE, &rl), SyscallSucceeds());
  EXPECT_THAT(dup2(a.get(), static_cast<int>(rl.rlim_cur)), SyscallFailsWithErrno(EBADF));
}

TEST(Dup2, NegativeTargetIsEBADF) {
  FileDescriptor a = OpenNull();
  EXPECT_THAT(dup2(a.get(), -1), SyscallFailsWithErrno(EBADF));
}

TEST(Dup3, CloexecFlag) {
  FileDescriptor a = OpenNull();
  ASSERT_THAT(dup3(a.get(), 101, O_CLOEXEC), SyscallSucceedsWithValue(101));
  FileDescriptor b(101);
  EXPECT_THAT(fcntl(101, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Dup3, SameFdIsEINVAL) {
  FileDescriptor a = OpenNull();
  EXPECT_THAT(dup3(a.get(), a.get(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Dup3, BadFlagIsEINVAL) {
  FileDescriptor a = OpenNull();
  EXPECT_THAT(dup3(a.get(), 102, O_NONBLOCK), SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(fcntl(102, F_GETFD), SyscallFailsWithErrno(EBADF));
}

TEST(CloseRange, ClosesRange) {
  int base = 200;
  for (int i = 0; i < 5; i++) ASSERT_THAT(dup2(0, base + i), SyscallSucceeds());
  ASSERT_THAT(syscall(SYS_close_range, base + 1, base + 3, 0), SyscallSucceeds());
  EXPECT_THAT(fcntl(base, F_GETFD), SyscallSucceeds());
  EXPECT_THAT(fcntl(base + 1, F_GETFD), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(fcntl(base + 3, F_GETFD), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(fcntl(base + 4, F_GETFD), SyscallSucceeds());
  close(base);
  close(base + 4);
}

TEST(CloseRange, CloexecFlagMarksInsteadOfClosing) {
  ASSERT_THAT(dup2(0, 210), SyscallSucceeds());
  ASSERT_THAT(syscall(SYS_close_range, 210, 210, CLOSE_RANGE_CLOEXEC), SyscallSucceeds());
  EXPECT_THAT(fcntl(210, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  close(210);
}

TEST(CloseRange, FirstAboveLastIsEINVAL) {
  EXPECT_THAT(syscall(SYS_close_range, 10, 5, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(CloseRange, UnknownFlagIsEINVAL) {
  EXPECT_THAT(syscall(SYS_close_range, 300, 301, 0x80), SyscallFailsWithErrno(EINVAL));
}

TEST(CloseRange, OpenEndedRangeInChild) {
  ASSERT_THAT(dup2(0, 220), SyscallSucceeds());
  int status = RunInChild([] {
    CHILD_CHECK(syscall(SYS_close_range, 3, ~0U, 0) == 0);
    CHILD_CHECK(fcntl(220, F_GETFD) == -1 && errno == EBADF);
    CHILD_CHECK(fcntl(2, F_GETFD) >= 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_THAT(fcntl(220, F_GETFD), SyscallSucceeds());
  close(220);
}

}  // namespace
}  // namespace conformance
