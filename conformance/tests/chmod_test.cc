// chmod(2), fchmod(2), fchmodat(2), umask(2).
// syscalls: chmod fchmod fchmodat
// syscalls(Umask): umask
#include <fcntl.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

mode_t ModeOf(const std::string& p) {
  struct stat st;
  if (lstat(p.c_str(), &st) != 0) return 0xffffffff;
  return st.st_mode & 07777;
}

TEST(Chmod, SetsPermissionBits) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0604), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0604u);
}

TEST(Chmod, SetsSpecialBits) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 07755), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 07755u);
}

TEST(Chmod, IgnoresFileTypeBits) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), S_IFDIR | 0600), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(Chmod, FollowsSymlink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(chmod(dir.Join("l").c_str(), 0611), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0611u);
}

TEST(Chmod, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(chmod(dir.Join("f").c_str(), 0644), SyscallFailsWithErrno(ENOENT));
}

TEST(Chmod, NotOwnerIsEPERM) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0666), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(chmod((dir.path() + "/f").c_str(), 0777) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(ModeOf(dir.Join("f")), 0666u);
}

TEST(Chmod, NonGroupMemberLosesSetgid) {
  // chmod(2): an unprivileged owner who is not in the file's group cannot set S_ISGID.
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 65534, 0), SyscallSucceeds());
  ASSERT_THAT(chmod(dir.path().c_str(), 0777), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgroups(0, nullptr) == 0);
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(chmod((dir.path() + "/f").c_str(), 02755) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(ModeOf(dir.Join("f")), 0755u);
}

TEST(Fchmod, ChangesOpenFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(fchmod(fd.get(), 0400), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0400u);
}

TEST(Fchmod, BadFdIsEBADF) { EXPECT_THAT(fchmod(-1, 0644), SyscallFailsWithErrno(EBADF)); }

TEST(Fchmod, PathFdIsEBADF) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_PATH));
  EXPECT_THAT(fchmod(fd.get(), 0644), SyscallFailsWithErrno(EBADF));
}

TEST(Fchmodat, RelativeToDirFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(fchmodat(d.get(), "f", 0701, 0), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0701u);
}

TEST(Fchmodat, BadFlagsIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  // The raw syscall has no flags argument; glibc rejects unknown flags.
  EXPECT_THAT(fchmodat(AT_FDCWD, dir.Join("f").c_str(), 0644, 0x8000), SyscallFailsWithErrno(EINVAL));
}

TEST(Umask, ReturnsPreviousMask) {
  mode_t old = umask(022);
  EXPECT_EQ(umask(077), 022u);
  EXPECT_EQ(umask(old), 077u);
}

TEST(Umask, OnlyPermissionBitsKept) {
  mode_t old = umask(0777777);
  EXPECT_EQ(umask(old), 0777u);
}

TEST(Umask, AppliesToCreatedFiles) {
  TempDir dir;
  ScopedUmask um(077);
  FileDescriptor fd(open(dir.Join("f").c_str(), O_CREAT | O_WRONLY, 0666));
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0600u);
}

TEST(Umask, NotAppliedToChmod) {
  TempDir dir;
  ScopedUmask um(077);
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0666), SyscallSucceeds());
  EXPECT_EQ(ModeOf(dir.Join("f")), 0666u);
}

TEST(Umask, InheritedByChild) {
  ScopedUmask um(0037);
  int status = RunInChild([] { CHILD_CHECK(umask(0) == 0037); });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
