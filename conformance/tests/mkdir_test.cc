// mkdir(2), mkdirat(2), rmdir(2).
// syscalls: mkdir mkdirat rmdir
// syscalls(Rmdir): rmdir
#include <fcntl.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Mkdir, CreatesDirectoryWithModeMinusUmask) {
  TempDir dir;
  ScopedUmask um(027);
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0777), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("d").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0750u);
}

TEST(Mkdir, ExistingIsEEXIST) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallFailsWithErrno(EEXIST));
}

TEST(Mkdir, ExistingFileIsEEXIST) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(mkdir(dir.Join("f").c_str(), 0755), SyscallFailsWithErrno(EEXIST));
}

TEST(Mkdir, MissingParentIsENOENT) {
  TempDir dir;
  EXPECT_THAT(mkdir(dir.Join("a/b").c_str(), 0755), SyscallFailsWithErrno(ENOENT));
}

TEST(Mkdir, ParentIsFileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(mkdir(dir.Join("f/d").c_str(), 0755), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Mkdir, IncrementsParentLinkCount) {
  TempDir dir;
  struct stat before, after;
  ASSERT_THAT(stat(dir.path().c_str(), &before), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(stat(dir.path().c_str(), &after), SyscallSucceeds());
  EXPECT_EQ(after.st_nlink, before.st_nlink + 1);
}

TEST(Mkdir, NewDirectoryHasTwoLinks) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("d").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST(Mkdir, TrailingSlashAllowed) {
  TempDir dir;
  EXPECT_THAT(mkdir(dir.Join("d/").c_str(), 0755), SyscallSucceeds());
}

TEST(Mkdir, DanglingSymlinkIsEEXIST) {
  TempDir dir;
  ASSERT_THAT(symlink("nowhere", dir.Join("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(mkdir(dir.Join("l").c_str(), 0755), SyscallFailsWithErrno(EEXIST));
}

TEST(Mkdir, NoWritePermissionIsEACCES) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0555), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(mkdir((dir.path() + "/d").c_str(), 0755) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Mkdir, SetgidParentPropagates) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 02775), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("d").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(st.st_mode & S_ISGID);
}

TEST(Mkdirat, RelativeToDirFd) {
  TempDir dir;
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(mkdirat(d.get(), "sub", 0700), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("sub").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(Mkdirat, BadDirFdIsEBADF) {
  EXPECT_THAT(mkdirat(4321, "x", 0700), SyscallFailsWithErrno(EBADF));
}

TEST(Rmdir, RemovesEmptyDirectory) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(rmdir(dir.Join("d").c_str()), SyscallSucceeds());
  struct stat st;
  EXPECT_THAT(stat(dir.Join("d").c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

TEST(Rmdir, NonEmptyIsENOTEMPTY) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("d/f"), ""));
  EXPECT_THAT(rmdir(dir.Join("d").c_str()), SyscallFailsWithErrno(ENOTEMPTY));
}

TEST(Rmdir, FileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(rmdir(dir.Join("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Rmdir, DotIsEINVAL) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(rmdir(dir.Join("d/.").c_str()), SyscallFailsWithErrno(EINVAL));
}

TEST(Rmdir, DotDotIsENOTEMPTY) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(rmdir(dir.Join("d/..").c_str()), SyscallFailsWithErrno(ENOTEMPTY));
}

TEST(Rmdir, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(rmdir(dir.Join("nope").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Rmdir, DecrementsParentLinkCount) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  struct stat before, after;
  ASSERT_THAT(stat(dir.path().c_str(), &before), SyscallSucceeds());
  ASSERT_THAT(rmdir(dir.Join("d").c_str()), SyscallSucceeds());
  ASSERT_THAT(stat(dir.path().c_str(), &after), SyscallSucceeds());
  EXPECT_EQ(after.st_nlink, before.st_nlink - 1);
}

TEST(Rmdir, OpenDirectoryStaysUsableButEmpty) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  FileDescriptor fd(open(dir.Join("d").c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(rmdir(dir.Join("d").c_str()), SyscallSucceeds());
  // Creating in a removed directory fails with ENOENT.
  EXPECT_THAT(openat(fd.get(), "x", O_CREAT | O_WRONLY, 0644), SyscallFailsWithErrno(ENOENT));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 0u);
}

TEST(Rmdir, StickyDirProtectsOthersEntries) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 01777), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0777), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(rmdir((dir.path() + "/d").c_str()) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
