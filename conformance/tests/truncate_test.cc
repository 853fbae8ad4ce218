// truncate(2), ftruncate(2).
// syscalls: truncate ftruncate
// syscalls(Ftruncate): ftruncate
#include <fcntl.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

off_t SizeOf(const std::string& p) {
  struct stat st;
  if (stat(p.c_str(), &st) != 0) return -1;
  return st.st_size;
}

TEST(Truncate, Shrinks) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "0123456789"));
  ASSERT_THAT(truncate(dir.Join("f").c_str(), 4), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("f"), &s));
  EXPECT_EQ(s, "0123");
}

TEST(Truncate, GrowsWithZeros) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "ab"));
  ASSERT_THAT(truncate(dir.Join("f").c_str(), 6), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("f"), &s));
  EXPECT_EQ(s, std::string("ab\0\0\0\0", 6));
}

TEST(Truncate, NegativeIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "ab"));
  EXPECT_THAT(truncate(dir.Join("f").c_str(), -1), SyscallFailsWithErrno(EINVAL));
}

TEST(Truncate, DirectoryIsEISDIR) {
  TempDir dir;
  EXPECT_THAT(truncate(dir.path().c_str(), 0), SyscallFailsWithErrno(EISDIR));
}

TEST(Truncate, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(truncate(dir.Join("f").c_str(), 0), SyscallFailsWithErrno(ENOENT));
}

TEST(Truncate, NoWritePermissionIsEACCES) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0644), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(truncate((dir.path() + "/f").c_str(), 0) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(SizeOf(dir.Join("f")), 3);
}

TEST(Truncate, UpdatesMtime) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  struct timespec old_times[2] = {{100, 0}, {100, 0}};
  ASSERT_THAT(utimensat(AT_FDCWD, dir.Join("f").c_str(), old_times, 0), SyscallSucceeds());
  ASSERT_THAT(truncate(dir.Join("f").c_str(), 1), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_GT(st.st_mtim.tv_sec, 100);
}

TEST(Truncate, ThroughSymlink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abcdef"));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(truncate(dir.Join("l").c_str(), 2), SyscallSucceeds());
  EXPECT_EQ(SizeOf(dir.Join("f")), 2);
}

TEST(Ftruncate, ShrinksOpenFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "0123456789"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  ASSERT_THAT(ftruncate(fd.get(), 3), SyscallSucceeds());
  EXPECT_EQ(SizeOf(dir.Join("f")), 3);
}

TEST(Ftruncate, DoesNotMoveOffset) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "0123456789"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  ASSERT_THAT(lseek(fd.get(), 8, SEEK_SET), SyscallSucceeds());
  ASSERT_THAT(ftruncate(fd.get(), 2), SyscallSucceeds());
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(8));
  ASSERT_THAT(write(fd.get(), "x", 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(SizeOf(dir.Join("f")), 9);
}

TEST(Ftruncate, ReadOnlyFdIsEINVAL) {
  // ftruncate(2): EBADF or EINVAL if fd is not open for writing; Linux says EINVAL.
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(ftruncate(fd.get(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Ftruncate, PipeIsEINVAL) {
  Pipe p = MakePipe();
  EXPECT_THAT(ftruncate(p.w.get(), 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Ftruncate, BadFdIsEBADF) { EXPECT_THAT(ftruncate(-1, 0), SyscallFailsWithErrno(EBADF)); }

TEST(Ftruncate, NegativeIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  EXPECT_THAT(ftruncate(fd.get(), -5), SyscallFailsWithErrno(EINVAL));
}

TEST(Ftruncate, ShrinkThenGrowZeroesTail) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abcdef"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  ASSERT_THAT(ftruncate(fd.get(), 2), SyscallSucceeds());
  ASSERT_THAT(ftruncate(fd.get(), 6), SyscallSucceeds());
  char buf[6];
  ASSERT_THAT(pread(fd.get(), buf, 6, 0), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buf, 6), std::string("ab\0\0\0\0", 6));
}

TEST(Ftruncate, LargeSparseSize) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  off_t big = off_t{1} << 32;
  ASSERT_THAT(ftruncate(fd.get(), big), SyscallSucceeds());
  EXPECT_EQ(SizeOf(dir.Join("f")), big);
}

}  // namespace
}  // namespace conformance
