// read(2), write(2) on regular files.
// syscalls: read write
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

class ReadWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.Join("f");
    ASSERT_TRUE(WriteFile(path_, "0123456789"));
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(ReadWrite, ReadReturnsBytesAndAdvancesOffset) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  char buf[4];
  ASSERT_THAT(read(fd.get(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "0123");
  ASSERT_THAT(read(fd.get(), buf, 4), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "4567");
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(8));
}

TEST_F(ReadWrite, ShortReadAtEnd) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  char buf[32];
  ASSERT_THAT(lseek(fd.get(), 7, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(read(fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "789");
}

TEST_F(ReadWrite, ReadAtEofReturnsZero) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_END), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(fd.get(), &c, 1), SyscallSucceedsWithValue(0));
}

TEST_F(ReadWrite, ZeroLengthReadReturnsZero) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  char c;
  EXPECT_THAT(read(fd.get(), &c, 0), SyscallSucceedsWithValue(0));
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
}

TEST_F(ReadWrite, ReadBadFdIsEBADF) {
  char c;
  EXPECT_THAT(read(-1, &c, 1), SyscallFailsWithErrno(EBADF));
}

TEST_F(ReadWrite, ReadIntoBadBufferIsEFAULT) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  EXPECT_THAT(syscall(SYS_read, fd.get(), 8, 4), SyscallFailsWithErrno(EFAULT));
}

TEST_F(ReadWrite, ReadDirectoryIsEISDIR) {
  FileDescriptor fd(open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY));
  char buf[8];
  EXPECT_THAT(read(fd.get(), buf, sizeof buf), SyscallFailsWithErrno(EISDIR));
}

TEST_F(ReadWrite, WriteOverwritesInPlace) {
  FileDescriptor fd(open(path_.c_str(), O_RDWR));
  ASSERT_THAT(lseek(fd.get(), 2, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(write(fd.get(), "ab", 2), SyscallSucceedsWithValue(2));
  std::string s;
  ASSERT_TRUE(ReadFile(path_, &s));
  EXPECT_EQ(s, "01ab456789");
}

TEST_F(ReadWrite, WritePastEndExtendsWithZeros) {
  FileDescriptor fd(open(path_.c_str(), O_RDWR));
  ASSERT_THAT(lseek(fd.get(), 15, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(write(fd.get(), "x", 1), SyscallSucceedsWithValue(1));
  std::string s;
  ASSERT_TRUE(ReadFile(path_, &s));
  ASSERT_EQ(s.size(), 16u);
  EXPECT_EQ(s.substr(10, 5), std::string(5, '\0'));
  EXPECT_EQ(s[15], 'x');
}

TEST_F(ReadWrite, ZeroLengthWriteDoesNothing) {
  FileDescriptor fd(open(path_.c_str(), O_WRONLY));
  EXPECT_THAT(write(fd.get(), "", 0), SyscallSucceedsWithValue(0));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 10);
}

TEST_F(ReadWrite, WriteFromBadBufferIsEFAULT) {
  FileDescriptor fd(open(path_.c_str(), O_WRONLY));
  EXPECT_THAT(syscall(SYS_write, fd.get(), 8, 4), SyscallFailsWithErrno(EFAULT));
}

TEST_F(ReadWrite, WriteBadFdIsEBADF) {
  EXPECT_THAT(write(999, "x", 1), SyscallFailsWithErrno(EBADF));
}

TEST_F(ReadWrite, LargeWriteAndReadBack) {
  std::string big(1 << 20, 'a');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>('a' + i % 26);
  FileDescriptor fd(open(path_.c_str(), O_RDWR | O_TRUNC));
  ASSERT_TRUE(WriteAll(fd.get(), big.data(), big.size()));
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceeds());
  EXPECT_EQ(ReadAll(fd.get()), big);
}

TEST_F(ReadWrite, SharedOffsetAfterDup) {
  FileDescriptor a(open(path_.c_str(), O_RDONLY));
  FileDescriptor b(dup(a.get()));
  char buf[3];
  ASSERT_THAT(read(a.get(), buf, 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(read(b.get(), buf, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "345");
}

TEST_F(ReadWrite, IndependentOffsetsForSeparateOpens) {
  FileDescriptor a(open(path_.c_str(), O_RDONLY));
  FileDescriptor b(open(path_.c_str(), O_RDONLY));
  char buf[3];
  ASSERT_THAT(read(a.get(), buf, 3), SyscallSucceedsWithValue(3));
  ASSERT_THAT(read(b.get(), buf, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 3), "012");
}

TEST_F(ReadWrite, WriteVisibleThroughOtherFd) {
  FileDescriptor w(open(path_.c_str(), O_WRONLY));
  FileDescriptor r(open(path_.c_str(), O_RDONLY));
  ASSERT_THAT(write(w.get(), "Z", 1), SyscallSucceedsWithValue(1));
  char c;
  ASSERT_THAT(read(r.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'Z');
}

TEST_F(ReadWrite, WriteUpdatesMtimeAndSize) {
  struct stat before;
  ASSERT_THAT(stat(path_.c_str(), &before), SyscallSucceeds());
  struct timespec old_times[2] = {{1, 0}, {1, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, path_.c_str(), old_times, 0), SyscallSucceeds());
  FileDescriptor fd(open(path_.c_str(), O_WRONLY | O_APPEND));
  ASSERT_THAT(write(fd.get(), "abc", 3), SyscallSucceedsWithValue(3));
  struct stat after;
  ASSERT_THAT(fstat(fd.get(), &after), SyscallSucceeds());
  EXPECT_EQ(after.st_size, 13);
  EXPECT_GT(after.st_mtim.tv_sec, 1);
}

TEST_F(ReadWrite, RawSyscallReturnsCount) {
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  char buf[5];
  EXPECT_THAT(syscall(SYS_read, fd.get(), buf, 5), SyscallSucceedsWithValue(5));
}

TEST_F(ReadWrite, PartiallyBadBufferReadsPrefix) {
  // A read into a buffer whose second page is unmapped: Linux copies what
  // fits and returns the short count (or EFAULT if nothing fit).
  size_t pg = PageSize();
  char* p = static_cast<char*>(
      mmap(nullptr, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(munmap(p + pg, pg), SyscallSucceeds());
  FileDescriptor fd(open(path_.c_str(), O_RDONLY));
  EXPECT_THAT(read(fd.get(), p + pg - 4, 8), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(p + pg - 4, 4), "0123");
  munmap(p, pg);
}

}  // namespace
}  // namespace conformance
