// link(2), linkat(2), unlink(2), unlinkat(2), symlink(2), symlinkat(2),
// readlink(2), readlinkat(2).
// syscalls: link linkat unlink unlinkat symlink symlinkat readlink readlinkat
// syscalls(Link): link linkat
// syscalls(Unlink): unlink unlinkat
// syscalls(Symlink): symlink symlinkat
// syscalls(Readlink): readlink readlinkat
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Link, CreatesSecondName) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "data"));
  ASSERT_THAT(link(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("b"), &s));
  EXPECT_EQ(s, "data");
  struct stat st;
  ASSERT_THAT(stat(dir.Join("a").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 2u);
}

TEST(Link, ExistingNewPathIsEEXIST) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_TRUE(WriteFile(dir.Join("b"), ""));
  EXPECT_THAT(link(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallFailsWithErrno(EEXIST));
}

TEST(Link, MissingSourceIsENOENT) {
  TempDir dir;
  EXPECT_THAT(link(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Link, DirectoryIsEPERM) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(link(dir.Join("d").c_str(), dir.Join("e").c_str()), SyscallFailsWithErrno(EPERM));
}

TEST(Link, DoesNotFollowSymlinkSource) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(link(dir.Join("l").c_str(), dir.Join("m").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("m").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(Link, LinkatFollowFlagFollowsSymlink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(linkat(AT_FDCWD, dir.Join("l").c_str(), AT_FDCWD, dir.Join("m").c_str(),
                     AT_SYMLINK_FOLLOW),
              SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("m").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(Link, LinkatBadFlagIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(linkat(AT_FDCWD, dir.Join("f").c_str(), AT_FDCWD, dir.Join("g").c_str(), 0x1),
              SyscallFailsWithErrno(EINVAL));
}

TEST(Link, LinkatEmptyPathLinksOpenFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "q"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(linkat(fd.get(), "", AT_FDCWD, dir.Join("g").c_str(), AT_EMPTY_PATH),
              SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("g"), &s));
  EXPECT_EQ(s, "q");
}

TEST(Unlink, RemovesName) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("f").c_str(), F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Unlink, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(unlink(dir.Join("f").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Unlink, DirectoryIsEISDIR) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(unlink(dir.Join("d").c_str()), SyscallFailsWithErrno(EISDIR));
}

TEST(Unlink, OpenFileRemainsReadable) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "still here"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  EXPECT_EQ(ReadAll(fd.get()), "still here");
}

TEST(Unlink, DecrementsLinkCount) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_THAT(link(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  ASSERT_THAT(unlink(dir.Join("a").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("b").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST(Unlink, SymlinkRemovesLinkNotTarget) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(unlink(dir.Join("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("f").c_str(), F_OK), SyscallSucceeds());
}

TEST(Unlink, UnlinkatRemoveDirFlag) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(unlinkat(d.get(), "d", AT_REMOVEDIR), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("d").c_str(), F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Unlink, UnlinkatRemoveDirOnFileIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(unlinkat(AT_FDCWD, dir.Join("f").c_str(), AT_REMOVEDIR),
              SyscallFailsWithErrno(ENOTDIR));
}

TEST(Unlink, UnlinkatBadFlagIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(unlinkat(AT_FDCWD, dir.Join("f").c_str(), 0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Unlink, StickyDirectoryProtectsOthersFiles) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 01777), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), "", 0666));
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(unlink((dir.path() + "/f").c_str()) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Unlink, NoWritePermissionOnDirIsEACCES) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "", 0666));
  ASSERT_THAT(chmod(dir.path().c_str(), 0555), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(unlink((dir.path() + "/f").c_str()) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Symlink, CreatesLinkWithContent) {
  TempDir dir;
  ASSERT_THAT(symlink("some/target", dir.Join("l").c_str()), SyscallSucceeds());
  char buf[64];
  ASSERT_THAT(readlink(dir.Join("l").c_str(), buf, sizeof buf), SyscallSucceedsWithValue(11));
  EXPECT_EQ(std::string(buf, 11), "some/target");
}

TEST(Symlink, ExistingIsEEXIST) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(symlink("x", dir.Join("f").c_str()), SyscallFailsWithErrno(EEXIST));
}

TEST(Symlink, EmptyTargetIsENOENT) {
  TempDir dir;
  EXPECT_THAT(symlink("", dir.Join("l").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Symlink, RelativeTargetResolvesFromLinkDir) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("d/f"), "rel"));
  ASSERT_THAT(symlink("f", dir.Join("d/l").c_str()), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("d/l"), &s));
  EXPECT_EQ(s, "rel");
}

TEST(Symlink, SymlinkatRelativeToDirFd) {
  TempDir dir;
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(symlinkat("tgt", d.get(), "l"), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("l").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(Symlink, ChainIsFollowed) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "end"));
  ASSERT_THAT(symlink("f", dir.Join("l1").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("l1", dir.Join("l2").c_str()), SyscallSucceeds());
  ASSERT_THAT(symlink("l2", dir.Join("l3").c_str()), SyscallSucceeds());
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("l3"), &s));
  EXPECT_EQ(s, "end");
}

TEST(Symlink, TooManyLevelsIsELOOP) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("l0"), ""));
  for (int i = 1; i <= 45; i++) {
    ASSERT_THAT(symlink(("l" + std::to_string(i - 1)).c_str(),
                        dir.Join("l" + std::to_string(i)).c_str()),
                SyscallSucceeds());
  }
  EXPECT_THAT(open(dir.Join("l45").c_str(), O_RDONLY), SyscallFailsWithErrno(ELOOP));
  FileDescriptor ok(open(dir.Join("l30").c_str(), O_RDONLY));
  EXPECT_TRUE(ok.valid());
}

TEST(Readlink, TruncatesToBufferWithoutNul) {
  TempDir dir;
  ASSERT_THAT(symlink("abcdef", dir.Join("l").c_str()), SyscallSucceeds());
  char buf[4] = {'x', 'x', 'x', 'x'};
  ASSERT_THAT(readlink(dir.Join("l").c_str(), buf, 3), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(buf, 4), "abcx");
}

TEST(Readlink, NotASymlinkIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  char buf[16];
  EXPECT_THAT(readlink(dir.Join("f").c_str(), buf, sizeof buf), SyscallFailsWithErrno(EINVAL));
}

TEST(Readlink, ZeroSizeIsEINVAL) {
  TempDir dir;
  ASSERT_THAT(symlink("x", dir.Join("l").c_str()), SyscallSucceeds());
  char buf[1];
  EXPECT_THAT(readlink(dir.Join("l").c_str(), buf, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Readlink, MissingIsENOENT) {
  TempDir dir;
  char buf[16];
  EXPECT_THAT(readlink(dir.Join("l").c_str(), buf, sizeof buf), SyscallFailsWithErrno(ENOENT));
}

TEST(Readlink, ReadlinkatEmptyPathOnOpathFd) {
  TempDir dir;
  ASSERT_THAT(symlink("zz", dir.Join("l").c_str()), SyscallSucceeds());
  FileDescriptor fd(open(dir.Join("l").c_str(), O_PATH | O_NOFOLLOW));
  ASSERT_TRUE(fd.valid());
  char buf[16];
  ASSERT_THAT(readlinkat(fd.get(), "", buf, sizeof buf), SyscallSucceedsWithValue(2));
  EXPECT_EQ(std::string(buf, 2), "zz");
}

}  // namespace
}  // namespace conformance
