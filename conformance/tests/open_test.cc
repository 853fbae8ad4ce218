// open(2), openat(2), creat(2), openat2(2), close(2).
// syscalls: open openat creat close
// syscalls(OpenAt2): openat2
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Open, CreatesFileWithMode) {
  TempDir dir;
  ScopedUmask um(022);
  std::string p = dir.Join("f");
  int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0666);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor f(fd);
  struct stat st;
  ASSERT_THAT(stat(p.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(st.st_size, 0);
}

TEST(Open, MissingFileIsENOENT) {
  TempDir dir;
  EXPECT_THAT(open(dir.Join("nope").c_str(), O_RDONLY), SyscallFailsWithErrno(ENOENT));
}

TEST(Open, MissingParentIsENOENT) {
  TempDir dir;
  EXPECT_THAT(open(dir.Join("a/b").c_str(), O_CREAT | O_WRONLY, 0644),
              SyscallFailsWithErrno(ENOENT));
}

TEST(Open, ExclOnExistingIsEEXIST) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "x"));
  EXPECT_THAT(open(dir.Join("f").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644),
              SyscallFailsWithErrno(EEXIST));
}

TEST(Open, ExclOnDanglingSymlinkIsEEXIST) {
  TempDir dir;
  ASSERT_THAT(symlink(dir.Join("target").c_str(), dir.Join("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(open(dir.Join("l").c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(access(dir.Join("target").c_str(), F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Open, CreatThroughDanglingSymlinkCreatesTarget) {
  TempDir dir;
  ASSERT_THAT(symlink(dir.Join("target").c_str(), dir.Join("l").c_str()), SyscallSucceeds());
  FileDescriptor fd(open(dir.Join("l").c_str(), O_CREAT | O_WRONLY, 0644));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_THAT(access(dir.Join("target").c_str(), F_OK), SyscallSucceeds());
}

TEST(Open, TruncEmptiesFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "hello"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_WRONLY | O_TRUNC));
  ASSERT_TRUE(fd.valid());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
}

TEST(Open, AppendWritesAtEnd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_WRONLY | O_APPEND));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceedsWithValue(0));
  ASSERT_THAT(write(fd.get(), "de", 2), SyscallSucceedsWithValue(2));
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(5));
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("f"), &s));
  EXPECT_EQ(s, "abcde");
}

TEST(Open, DirectoryFlagOnFileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(open(dir.Join("f").c_str(), O_RDONLY | O_DIRECTORY),
              SyscallFailsWithErrno(ENOTDIR));
}

TEST(Open, WriteOnDirectoryIsEISDIR) {
  TempDir dir;
  EXPECT_THAT(open(dir.path().c_str(), O_WRONLY), SyscallFailsWithErrno(EISDIR));
  EXPECT_THAT(open(dir.path().c_str(), O_RDWR), SyscallFailsWithErrno(EISDIR));
}

TEST(Open, DirectoryReadOnlySucceeds) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_TRUE(fd.valid());
}

TEST(Open, NoFollowOnSymlinkIsELOOP) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(open(dir.Join("l").c_str(), O_RDONLY | O_NOFOLLOW), SyscallFailsWithErrno(ELOOP));
}

TEST(Open, PathComponentIsFileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(open(dir.Join("f/x").c_str(), O_RDONLY), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Open, NameTooLongIsENAMETOOLONG) {
  TempDir dir;
  std::string p = dir.Join(std::string(300, 'a'));
  EXPECT_THAT(open(p.c_str(), O_RDONLY), SyscallFailsWithErrno(ENAMETOOLONG));
}

TEST(Open, EmptyPathIsENOENT) {
  EXPECT_THAT(open("", O_RDONLY), SyscallFailsWithErrno(ENOENT));
}

TEST(Open, BadAddressIsEFAULT) {
  EXPECT_THAT(syscall(SYS_open, reinterpret_cast<char*>(1), O_RDONLY),
              SyscallFailsWithErrno(EFAULT));
}

TEST(Open, ReturnsLowestFreeFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor a(open(dir.Join("f").c_str(), O_RDONLY));
  FileDescriptor b(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_TRUE(a.valid() && b.valid());
  int lowest = a.get();
  a.reset();
  FileDescriptor c(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_EQ(c.get(), lowest);
}

TEST(Open, CloexecSetsFdFlag) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(fcntl(fd.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
  FileDescriptor fd2(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(fcntl(fd2.get(), F_GETFD), SyscallSucceedsWithValue(0));
}

TEST(Open, ReadOnlyFdRejectsWrite) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "x"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(write(fd.get(), "y", 1), SyscallFailsWithErrno(EBADF));
}

TEST(Open, WriteOnlyFdRejectsRead) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "x"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_WRONLY));
  ASSERT_TRUE(fd.valid());
  char c;
  EXPECT_THAT(read(fd.get(), &c, 1), SyscallFailsWithErrno(EBADF));
}

TEST(Open, PathFdCannotReadButCanFstat) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "xyz"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_PATH));
  ASSERT_TRUE(fd.valid());
  char c;
  EXPECT_THAT(read(fd.get(), &c, 1), SyscallFailsWithErrno(EBADF));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 3);
}

TEST(Open, GetflReportsAccessMode) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR | O_APPEND));
  ASSERT_TRUE(fd.valid());
  int fl = fcntl(fd.get(), F_GETFL);
  ASSERT_THAT(fl, SyscallSucceeds());
  EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
  EXPECT_TRUE(fl & O_APPEND);
}

TEST(OpenAt, RelativeToDirFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(d.valid());
  FileDescriptor fd(openat(d.get(), "f", O_RDONLY));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(ReadAll(fd.get()), "abc");
}

TEST(OpenAt, AbsolutePathIgnoresDirFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abc"));
  FileDescriptor fd(openat(-1, dir.Join("f").c_str(), O_RDONLY));
  EXPECT_TRUE(fd.valid());
}

TEST(OpenAt, BadDirFdIsEBADF) {
  EXPECT_THAT(openat(12345, "x", O_RDONLY), SyscallFailsWithErrno(EBADF));
}

TEST(OpenAt, FileDirFdIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(openat(fd.get(), "x", O_RDONLY), SyscallFailsWithErrno(ENOTDIR));
}

TEST(OpenAt, AtFdcwdUsesCwd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "q"));
  ScopedChdir cd(dir.path());
  ASSERT_TRUE(cd.ok());
  FileDescriptor fd(openat(AT_FDCWD, "f", O_RDONLY));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(ReadAll(fd.get()), "q");
}

TEST(Creat, CreatesAndTruncatesWriteOnly) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "old"));
  FileDescriptor fd(creat(dir.Join("f").c_str(), 0600));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0);
}

TEST(Close, ClosedFdIsEBADF) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  int fd = open(dir.Join("f").c_str(), O_RDONLY);
  ASSERT_THAT(fd, SyscallSucceeds());
  EXPECT_THAT(close(fd), SyscallSucceeds());
  EXPECT_THAT(close(fd), SyscallFailsWithErrno(EBADF));
}

TEST(Close, NegativeFdIsEBADF) { EXPECT_THAT(close(-1), SyscallFailsWithErrno(EBADF)); }

TEST(OpenAt2, ResolveBeneathRejectsEscape) {
  TempDir dir;
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  struct open_how how = {};
  how.flags = O_RDONLY;
  how.resolve = RESOLVE_BENEATH;
  EXPECT_THAT(syscall(SYS_openat2, d.get(), "..", &how, sizeof how),
              SyscallFailsWithErrno(EXDEV));
}

TEST(OpenAt2, UnknownFlagsAreEINVAL) {
  struct open_how how = {};
  how.flags = O_RDONLY;
  how.resolve = 1ULL << 40;
  EXPECT_THAT(syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how),
              SyscallFailsWithErrno(EINVAL));
}

TEST(OpenAt2, OpensFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "z"));
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC;
  long fd = syscall(SYS_openat2, AT_FDCWD, dir.Join("f").c_str(), &how, sizeof how);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor f(fd);
  EXPECT_EQ(ReadAll(f.get()), "z");
}

}  // namespace
}  // namespace conformance
