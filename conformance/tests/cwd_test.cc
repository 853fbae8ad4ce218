// chdir(2), fchdir(2), getcwd(2), chroot(2).
// syscalls: chdir fchdir getcwd
// syscalls(Chroot): chroot
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

std::string Cwd() {
  char buf[4096];
  if (getcwd(buf, sizeof buf) == nullptr) return "<error>";
  return buf;
}

TEST(Chdir, ChangesCwd) {
  TempDir dir;
  ScopedChdir restore("/");
  ASSERT_THAT(chdir(dir.path().c_str()), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.path());
}

TEST(Chdir, RelativePathsResolveFromCwd) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("sub").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("sub/f"), "rel"));
  ScopedChdir restore(dir.path());
  ASSERT_THAT(chdir("sub"), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile("f", &s));
  EXPECT_EQ(s, "rel");
  ASSERT_THAT(chdir(".."), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.path());
}

TEST(Chdir, FileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(chdir(dir.Join("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Chdir, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(chdir(dir.Join("missing").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Chdir, NoSearchPermissionIsEACCES) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0700), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(chdir((dir.path() + "/d").c_str()) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Chdir, ThroughSymlink) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("real").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(symlink("real", dir.Join("link").c_str()), SyscallSucceeds());
  ScopedChdir restore("/");
  ASSERT_THAT(chdir(dir.Join("link").c_str()), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.Join("real"));
}

TEST(Fchdir, ToOpenDirectory) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ScopedChdir restore("/");
  ASSERT_THAT(fchdir(fd.get()), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.path());
}

TEST(Fchdir, FileFdIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(fchdir(fd.get()), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Fchdir, BadFdIsEBADF) { EXPECT_THAT(fchdir(-1), SyscallFailsWithErrno(EBADF)); }

TEST(Fchdir, OpathFdWorks) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_PATH | O_DIRECTORY));
  ScopedChdir restore("/");
  ASSERT_THAT(fchdir(fd.get()), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.path());
}

TEST(Getcwd, ReturnsLengthIncludingNul) {
  TempDir dir;
  ScopedChdir cd(dir.path());
  char buf[4096];
  EXPECT_THAT(syscall(SYS_getcwd, buf, sizeof buf), SyscallSucceedsWithValue(dir.path().size() + 1));
  EXPECT_EQ(std::string(buf), dir.path());
}

TEST(Getcwd, SmallBufferIsERANGE) {
  TempDir dir;
  ScopedChdir cd(dir.path());
  char buf[4];
  EXPECT_THAT(syscall(SYS_getcwd, buf, sizeof buf), SyscallFailsWithErrno(ERANGE));
}

TEST(Getcwd, RemovedDirectoryIsENOENT) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("gone").c_str(), 0755), SyscallSucceeds());
  ScopedChdir cd(dir.Join("gone"));
  ASSERT_TRUE(cd.ok());
  ASSERT_THAT(rmdir(dir.Join("gone").c_str()), SyscallSucceeds());
  char buf[4096];
  EXPECT_THAT(syscall(SYS_getcwd, buf, sizeof buf), SyscallFailsWithErrno(ENOENT));
}

TEST(Getcwd, FollowsRenameOfCwd) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("a").c_str(), 0755), SyscallSucceeds());
  ScopedChdir cd(dir.Join("a"));
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(Cwd(), dir.Join("b"));
}

TEST(Getcwd, InheritedByChild) {
  TempDir dir;
  ScopedChdir cd(dir.path());
  std::string want = dir.path();
  int status = RunInChild([want] { CHILD_CHECK(Cwd() == want); });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Chroot, ChangesRootInChild) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("etc").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("etc/marker"), "inside"));
  int status = RunInChild([&] {
    CHILD_CHECK(chroot(dir.path().c_str()) == 0);
    CHILD_CHECK(chdir("/") == 0);
    std::string s;
    CHILD_CHECK(ReadFile("/etc/marker", &s) && s == "inside");
    CHILD_CHECK(Cwd() == "/");
    // ".." at the new root stays at the root.
    CHILD_CHECK(chdir("/..") == 0 && Cwd() == "/");
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Chroot, UnprivilegedIsEPERM) {
  TempDir dir;
  int status = RunInChild([&] {
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(chroot(dir.path().c_str()) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Chroot, FileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(chroot(dir.Join("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
}

}  // namespace
}  // namespace conformance
