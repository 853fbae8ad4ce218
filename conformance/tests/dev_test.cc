// /dev/null, /dev/zero, /dev/full, /dev/urandom, /dev/random, /dev/tty.
// syscalls: open read write
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(DevNull, ReadsEof) {
  FileDescriptor fd(open("/dev/null", O_RDONLY));
  ASSERT_TRUE(fd.valid());
  char c;
  EXPECT_THAT(read(fd.get(), &c, 1), SyscallSucceedsWithValue(0));
}

TEST(DevNull, SwallowsWrites) {
  FileDescriptor fd(open("/dev/null", O_WRONLY));
  std::string big(1 << 20, 'x');
  EXPECT_THAT(write(fd.get(), big.data(), big.size()), SyscallSucceedsWithValue(1 << 20));
}

TEST(DevNull, SeekAlwaysZero) {
  FileDescriptor fd(open("/dev/null", O_RDWR));
  EXPECT_THAT(lseek(fd.get(), 100, SEEK_SET), SyscallSucceedsWithValue(0));
}

TEST(DevNull, IsCharDevice13) {
  struct stat st;
  ASSERT_THAT(stat("/dev/null", &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
}

TEST(DevZero, ReadsZeros) {
  FileDescriptor fd(open("/dev/zero", O_RDONLY));
  std::vector<char> buf(8192, 'x');
  ASSERT_THAT(read(fd.get(), buf.data(), buf.size()), SyscallSucceedsWithValue(8192));
  EXPECT_EQ(buf, std::vector<char>(8192, 0));
}

TEST(DevZero, WritesSucceed) {
  FileDescriptor fd(open("/dev/zero", O_WRONLY));
  EXPECT_THAT(write(fd.get(), "abc", 3), SyscallSucceedsWithValue(3));
}

TEST(DevZero, PrivateMappingIsZeroAndWritable) {
  FileDescriptor fd(open("/dev/zero", O_RDWR));
  char* p = static_cast<char*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[100], 0);
  p[100] = 1;
  EXPECT_EQ(p[100], 1);
  munmap(p, 4096);
}

TEST(DevFull, WriteIsENOSPC) {
  FileDescriptor fd(open("/dev/full", O_WRONLY));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(write(fd.get(), "x", 1), SyscallFailsWithErrno(ENOSPC));
}

TEST(DevFull, ReadsZeros) {
  FileDescriptor fd(open("/dev/full", O_RDONLY));
  char buf[16];
  memset(buf, 1, sizeof buf);
  ASSERT_THAT(read(fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(16));
  EXPECT_EQ(buf[15], 0);
}

TEST(DevUrandom, ReadsRandomBytes) {
  FileDescriptor fd(open("/dev/urandom", O_RDONLY));
  unsigned char a[32], b[32];
  ASSERT_THAT(read(fd.get(), a, 32), SyscallSucceedsWithValue(32));
  ASSERT_THAT(read(fd.get(), b, 32), SyscallSucceedsWithValue(32));
  EXPECT_NE(memcmp(a, b, 32), 0);
}

TEST(DevUrandom, IsCharDevice19) {
  struct stat st;
  ASSERT_THAT(stat("/dev/urandom", &st), SyscallSucceeds());
  EXPECT_EQ(st.st_rdev, makedev(1, 9));
}

TEST(DevRandom, ReadsWithoutBlocking) {
  FileDescriptor fd(open("/dev/random", O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  char buf[16];
  EXPECT_THAT(read(fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(16));
}

TEST(DevStd, FdLinksExist) {
  char buf[256];
  EXPECT_THAT(readlink("/dev/fd", buf, sizeof buf), SyscallSucceeds());
  struct stat st;
  EXPECT_THAT(stat("/dev/stdin", &st), SyscallSucceeds());
}

TEST(DevShm, IsWritableStickyDirectory) {
  struct stat st;
  ASSERT_THAT(stat("/dev/shm", &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(st.st_mode & S_ISVTX);
}

TEST(DevTty, WithoutControllingTerminalIsENXIO) {
  int status = RunInChild([] {
    CHILD_CHECK(setsid() > 0);
    CHILD_CHECK(open("/dev/tty", O_RDWR) == -1 && errno == ENXIO);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
