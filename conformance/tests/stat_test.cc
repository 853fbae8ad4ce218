// stat(2), fstat(2), lstat(2), newfstatat(2), statx(2).
// syscalls: stat fstat lstat newfstatat
// syscalls(Statx): statx
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Stat, RegularFileFields) {
  TempDir dir;
  ScopedUmask um(0);
  ASSERT_TRUE(WriteFile(dir.Join("f"), "hello", 0640));
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(st.st_nlink, 1u);
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
  EXPECT_GT(st.st_blksize, 0);
  EXPECT_NE(st.st_ino, 0u);
}

TEST(Stat, DirectoryIsDir) {
  TempDir dir;
  struct stat st;
  ASSERT_THAT(stat(dir.path().c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_GE(st.st_nlink, 2u);
}

TEST(Stat, MissingIsENOENT) {
  struct stat st;
  EXPECT_THAT(stat("/tmp/conformance-definitely-missing", &st), SyscallFailsWithErrno(ENOENT));
}

TEST(Stat, FileAsDirectoryIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  struct stat st;
  EXPECT_THAT(stat(dir.Join("f/").c_str(), &st), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Stat, BadBufferIsEFAULT) {
  EXPECT_THAT(syscall(SYS_stat, "/", reinterpret_cast<void*>(8)), SyscallFailsWithErrno(EFAULT));
}

TEST(Stat, FollowsSymlink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("l").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, 3);
}

TEST(Stat, SymlinkLoopIsELOOP) {
  TempDir dir;
  ASSERT_THAT(symlink("b", dir.Join("a").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("a", dir.Join("b").c_str()), SyscallSucceeds());
  struct stat st;
  EXPECT_THAT(stat(dir.Join("a").c_str(), &st), SyscallFailsWithErrno(ELOOP));
}

TEST(Stat, SameInodeThroughHardLink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(link(dir.Join("f").c_str(), dir.Join("g").c_str()), SyscallSucceeds());
  struct stat a, b;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(dir.Join("g").c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_EQ(a.st_nlink, 2u);
}

TEST(Stat, DistinctFilesHaveDistinctInodes) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_TRUE(WriteFile(dir.Join("b"), ""));
  struct stat a, b;
  ASSERT_THAT(stat(dir.Join("a").c_str(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(dir.Join("b").c_str(), &b), SyscallSucceeds());
  EXPECT_NE(a.st_ino, b.st_ino);
}

TEST(Stat, DevNullIsCharDevice) {
  struct stat st;
  ASSERT_THAT(stat("/dev/null", &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
}

TEST(Lstat, DoesNotFollowSymlink) {
  TempDir dir;
  ASSERT_THAT(symlink("target-xyz", dir.Join("l").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("l").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_size, 10);  // strlen("target-xyz")
}

TEST(Lstat, TrailingSlashFollows) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(symlink("d", dir.Join("l").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("l/").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(Fstat, MatchesStat) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "12345678"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  struct stat a, b;
  ASSERT_THAT(fstat(fd.get(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(dir.Join("f").c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_size, 8);
}

TEST(Fstat, UnlinkedFileHasZeroLinks) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "x"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
  EXPECT_EQ(st.st_size, 1);
}

TEST(Fstat, PipeIsFifo) {
  Pipe p = MakePipe();
  struct stat st;
  ASSERT_THAT(fstat(p.r.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(Fstat, BadFdIsEBADF) {
  struct stat st;
  EXPECT_THAT(fstat(-1, &st), SyscallFailsWithErrno(EBADF));
}

TEST(Fstatat, EmptyPathStatsTheFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  struct stat st;
  ASSERT_THAT(fstatat(fd.get(), "", &st, AT_EMPTY_PATH), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 3);
}

TEST(Fstatat, EmptyPathWithoutFlagIsENOENT) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY));
  struct stat st;
  EXPECT_THAT(fstatat(fd.get(), "", &st, 0), SyscallFailsWithErrno(ENOENT));
}

TEST(Fstatat, SymlinkNoFollow) {
  TempDir dir;
  ASSERT_THAT(symlink("x", dir.Join("l").c_str()), SyscallSucceeds());
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  struct stat st;
  ASSERT_THAT(fstatat(d.get(), "l", &st, AT_SYMLINK_NOFOLLOW), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_THAT(fstatat(d.get(), "l", &st, 0), SyscallFailsWithErrno(ENOENT));
}

TEST(Fstatat, BadFlagIsEINVAL) {
  struct stat st;
  EXPECT_THAT(fstatat(AT_FDCWD, "/", &st, 0x40000000), SyscallFailsWithErrno(EINVAL));
}

TEST(Statx, BasicFields) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abcdef"));
  struct statx sx;
  ASSERT_THAT(statx(AT_FDCWD, dir.Join("f").c_str(), 0, STATX_BASIC_STATS, &sx), SyscallSucceeds());
  EXPECT_EQ(sx.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS & sx.stx_mask);
  EXPECT_TRUE(sx.stx_mask & STATX_SIZE);
  EXPECT_EQ(sx.stx_size, 6u);
  EXPECT_TRUE(S_ISREG(sx.stx_mode));
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(sx.stx_ino, st.st_ino);
  EXPECT_EQ(sx.stx_nlink, st.st_nlink);
}

TEST(Statx, ReservedMaskBitIsEINVAL) {
  struct statx sx;
  EXPECT_THAT(statx(AT_FDCWD, "/", 0, 0x80000000U, &sx), SyscallFailsWithErrno(EINVAL));
}

TEST(Statx, SymlinkNoFollow) {
  TempDir dir;
  ASSERT_THAT(symlink("abc", dir.Join("l").c_str()), SyscallSucceeds());
  struct statx sx;
  ASSERT_THAT(statx(AT_FDCWD, dir.Join("l").c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(sx.stx_mode));
  EXPECT_EQ(sx.stx_size, 3u);
}

TEST(Statx, EmptyPathOnFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "12"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  struct statx sx;
  ASSERT_THAT(statx(fd.get(), "", AT_EMPTY_PATH, STATX_SIZE, &sx), SyscallSucceeds());
  EXPECT_EQ(sx.stx_size, 2u);
}

TEST(Statx, MissingIsENOENT) {
  struct statx sx;
  EXPECT_THAT(statx(AT_FDCWD, "/tmp/conformance-nope-statx", 0, STATX_BASIC_STATS, &sx),
              SyscallFailsWithErrno(ENOENT));
}

TEST(Statx, DirectoryType) {
  TempDir dir;
  struct statx sx;
  ASSERT_THAT(statx(AT_FDCWD, dir.path().c_str(), 0, STATX_TYPE | STATX_MODE, &sx),
              SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(sx.stx_mode));
}

}  // namespace
}  // namespace conformance
