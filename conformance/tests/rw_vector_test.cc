// pread64(2), pwrite64(2), readv(2), writev(2), preadv(2), pwritev(2),
// preadv2(2), pwritev2(2).
// syscalls: pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2
// syscalls(Pread): pread64
// syscalls(Pwrite): pwrite64
// syscalls(Readv): readv
// syscalls(Writev): writev
// syscalls(Preadv): preadv preadv2
// syscalls(Pwritev): pwritev pwritev2
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class Vec : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("f");
    ASSERT_TRUE(WriteFile(path_, "abcdefghij"));
    fd_ = FileDescriptor(open(path_.c_str(), O_RDWR));
    ASSERT_TRUE(fd_.valid());
  }
  std::string Contents() {
    std::string s;
    EXPECT_TRUE(ReadFile(path_, &s));
    return s;
  }
  TempDir dir_;
  std::string path_;
  FileDescriptor fd_;
};

using Pread = Vec;
using Pwrite = Vec;
using Readv = Vec;
using Writev = Vec;
using Preadv = Vec;
using Pwritev = Vec;

TEST_F(Pread, ReadsAtOffsetWithoutMovingIt) {
  char buf[3];
  ASSERT_THAT(pread(fd_.get(), buf, 3, 4), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "efg");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
}

TEST_F(Pread, PastEndReturnsZero) {
  char buf[3];
  EXPECT_THAT(pread(fd_.get(), buf, 3, 100), SyscallSucceedsWithValue(0));
}

TEST_F(Pread, NegativeOffsetIsEINVAL) {
  char buf[3];
  EXPECT_THAT(pread(fd_.get(), buf, 3, -1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Pread, PipeIsESPIPE) {
  Pipe p = MakePipe();
  char buf[3];
  EXPECT_THAT(pread(p.r.get(), buf, 3, 0), SyscallFailsWithErrno(ESPIPE));
}

TEST_F(Pread, WriteOnlyFdIsEBADF) {
  FileDescriptor w(open(path_.c_str(), O_WRONLY));
  char buf[3];
  EXPECT_THAT(pread(w.get(), buf, 3, 0), SyscallFailsWithErrno(EBADF));
}

TEST_F(Pwrite, WritesAtOffsetWithoutMovingIt) {
  ASSERT_THAT(pwrite(fd_.get(), "XY", 2, 3), SyscallSucceedsWithValue(2));
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
  EXPECT_EQ(Contents(), "abcXYfghij");
}

TEST_F(Pwrite, PastEndCreatesHole) {
  ASSERT_THAT(pwrite(fd_.get(), "Z", 1, 20), SyscallSucceedsWithValue(1));
  std::string s = Contents();
  ASSERT_EQ(s.size(), 21u);
  EXPECT_EQ(s[15], '\0');
}

TEST_F(Pwrite, NegativeOffsetIsEINVAL) {
  EXPECT_THAT(pwrite(fd_.get(), "Z", 1, -5), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Pwrite, PipeIsESPIPE) {
  Pipe p = MakePipe();
  EXPECT_THAT(pwrite(p.w.get(), "x", 1, 0), SyscallFailsWithErrno(ESPIPE));
}

TEST_F(Pwrite, AppendModeWritesAtEndOnLinux) {
  // pwrite(2) BUGS: with O_APPEND, Linux appends regardless of the offset.
  FileDescriptor a(open(path_.c_str(), O_WRONLY | O_APPEND));
  ASSERT_THAT(pwrite(a.get(), "Q", 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(Contents(), "abcdefghijQ");
}

TEST_F(Readv, ScattersIntoBuffersInOrder) {
  char a[3], b[4];
  struct iovec iov[2] = {{a, 3}, {b, 4}};
  ASSERT_THAT(readv(fd_.get(), iov, 2), SyscallSucceedsWithValue(7));
  EXPECT_EQ(std::string(a, 3), "abc");
  EXPECT_EQ(std::string(b, 4), "defg");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(7));
}

TEST_F(Readv, ShortAtEnd) {
  char a[8], b[8];
  struct iovec iov[2] = {{a, 8}, {b, 8}};
  ASSERT_THAT(readv(fd_.get(), iov, 2), SyscallSucceedsWithValue(10));
  EXPECT_EQ(std::string(b, 2), "ij");
}

TEST_F(Readv, ZeroLengthEntriesAreSkipped) {
  char a[2], b[2];
  struct iovec iov[3] = {{a, 2}, {nullptr, 0}, {b, 2}};
  ASSERT_THAT(readv(fd_.get(), iov, 3), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(b, 2), "cd");
}

TEST_F(Readv, NegativeCountIsEINVAL) {
  char a[2];
  struct iovec iov[1] = {{a, 2}};
  EXPECT_THAT(syscall(SYS_readv, fd_.get(), iov, -1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Readv, TooManyIovecsIsEINVAL) {
  std::vector<struct iovec> iov(IOV_MAX + 1);
  char c;
  for (auto& v : iov) v = {&c, 1};
  EXPECT_THAT(readv(fd_.get(), iov.data(), IOV_MAX + 1), SyscallFailsWithErrno(EINVAL));
}

TEST_F(Readv, BadIovecArrayIsEFAULT) {
  EXPECT_THAT(syscall(SYS_readv, fd_.get(), 8, 1), SyscallFailsWithErrno(EFAULT));
}

TEST_F(Writev, GathersInOrder) {
  char a[] = "12", b[] = "345";
  struct iovec iov[2] = {{a, 2}, {b, 3}};
  ASSERT_THAT(writev(fd_.get(), iov, 2), SyscallSucceedsWithValue(5));
  EXPECT_EQ(Contents(), "12345fghij");
}

TEST_F(Writev, ZeroCountWritesNothing) {
  EXPECT_THAT(writev(fd_.get(), nullptr, 0), SyscallSucceedsWithValue(0));
  EXPECT_EQ(Contents(), "abcdefghij");
}

TEST_F(Writev, NegativeLengthIsEINVAL) {
  // An iov_len that is negative as an ssize_t is EINVAL (import_iovec).
  char a[1];
  struct iovec iov[2] = {{a, 1}, {a, static_cast<size_t>(-1)}};
  EXPECT_THAT(writev(fd_.get(), iov, 2), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(Contents(), "abcdefghij");
}

TEST_F(Writev, ToPipeIsAtomicForSmallWrites) {
  Pipe p = MakePipe();
  char a[] = "ab", b[] = "cd";
  struct iovec iov[2] = {{a, 2}, {b, 2}};
  ASSERT_THAT(writev(p.w.get(), iov, 2), SyscallSucceedsWithValue(4));
  char buf[8];
  ASSERT_THAT(read(p.r.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "abcd");
}

TEST_F(Preadv, ReadsAtOffset) {
  char a[2], b[2];
  struct iovec iov[2] = {{a, 2}, {b, 2}};
  ASSERT_THAT(preadv(fd_.get(), iov, 2, 6), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(a, 2) + std::string(b, 2), "ghij");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
}

TEST_F(Preadv, Preadv2WithMinusOneUsesFileOffset) {
  ASSERT_THAT(lseek(fd_.get(), 2, SEEK_SET), SyscallSucceeds());
  char a[3];
  struct iovec iov[1] = {{a, 3}};
  ASSERT_THAT(preadv2(fd_.get(), iov, 1, -1, 0), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(a, 3), "cde");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(5));
}

TEST_F(Preadv, Preadv2UnknownFlagIsEOPNOTSUPP) {
  char a[3];
  struct iovec iov[1] = {{a, 3}};
  EXPECT_THAT(preadv2(fd_.get(), iov, 1, 0, 0x40000000), SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST_F(Pwritev, WritesAtOffset) {
  char a[] = "XY";
  struct iovec iov[1] = {{a, 2}};
  ASSERT_THAT(pwritev(fd_.get(), iov, 1, 8), SyscallSucceedsWithValue(2));
  EXPECT_EQ(Contents(), "abcdefghXY");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
}

TEST_F(Pwritev, Pwritev2WithMinusOneUsesFileOffset) {
  ASSERT_THAT(lseek(fd_.get(), 1, SEEK_SET), SyscallSucceeds());
  char a[] = "QQ";
  struct iovec iov[1] = {{a, 2}};
  ASSERT_THAT(pwritev2(fd_.get(), iov, 1, -1, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(Contents(), "aQQdefghij");
  EXPECT_THAT(lseek(fd_.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(3));
}

TEST_F(Pwritev, NegativeOffsetIsEINVAL) {
  char a[] = "QQ";
  struct iovec iov[1] = {{a, 2}};
  EXPECT_THAT(pwritev(fd_.get(), iov, 1, -2), SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
