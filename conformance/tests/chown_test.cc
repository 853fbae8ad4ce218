// chown(2), fchown(2), lchown(2), fchownat(2).
// syscalls: chown fchown lchown fchownat
#include <fcntl.h>
#include <sys/stat.h>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Owner {
  uid_t uid;
  gid_t gid;
};

Owner OwnerOf(const std::string& p, bool follow = true) {
  struct stat st;
  int r = follow ? stat(p.c_str(), &st) : lstat(p.c_str(), &st);
  if (r != 0) return {static_cast<uid_t>(-2), static_cast<gid_t>(-2)};
  return {st.st_uid, st.st_gid};
}

TEST(Chown, RootChangesOwnerAndGroup) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 1234, 5678), SyscallSucceeds());
  Owner o = OwnerOf(dir.Join("f"));
  EXPECT_EQ(o.uid, 1234u);
  EXPECT_EQ(o.gid, 5678u);
}

TEST(Chown, MinusOneLeavesUnchanged) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 42, 43), SyscallSucceeds());
  ASSERT_THAT(chown(dir.Join("f").c_str(), -1, 99), SyscallSucceeds());
  Owner o = OwnerOf(dir.Join("f"));
  EXPECT_EQ(o.uid, 42u);
  EXPECT_EQ(o.gid, 99u);
}

TEST(Chown, FollowsSymlink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(chown(dir.Join("l").c_str(), 77, 77), SyscallSucceeds());
  EXPECT_EQ(OwnerOf(dir.Join("f")).uid, 77u);
  EXPECT_EQ(OwnerOf(dir.Join("l"), false).uid, 0u);
}

TEST(Chown, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(chown(dir.Join("f").c_str(), 1, 1), SyscallFailsWithErrno(ENOENT));
}

TEST(Chown, ClearsSetuidOnRegularFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 06755), SyscallSucceeds());
  ASSERT_THAT(chown(dir.Join("f").c_str(), 5, 5), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & S_ISUID, 0u);
}

TEST(Chown, UnprivilegedGiveAwayIsEPERM) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 65534, 65534), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(chown((dir.path() + "/f").c_str(), 1000, -1) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Chown, UnprivilegedOwnerNoopSucceeds) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 65534, 65534), SyscallSucceeds());
  int status = RunInChild([&] {
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    CHILD_CHECK(chown((dir.path() + "/f").c_str(), 65534, 65534) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Lchown, ChangesLinkItself) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(lchown(dir.Join("l").c_str(), 88, 89), SyscallSucceeds());
  EXPECT_EQ(OwnerOf(dir.Join("l"), false).uid, 88u);
  EXPECT_EQ(OwnerOf(dir.Join("f")).uid, 0u);
}

TEST(Fchown, ChangesOpenFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(fchown(fd.get(), 11, 12), SyscallSucceeds());
  Owner o = OwnerOf(dir.Join("f"));
  EXPECT_EQ(o.uid, 11u);
  EXPECT_EQ(o.gid, 12u);
}

TEST(Fchown, BadFdIsEBADF) { EXPECT_THAT(fchown(-1, 0, 0), SyscallFailsWithErrno(EBADF)); }

TEST(Fchownat, NoFollowChangesLink) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(fchownat(d.get(), "l", 21, 22, AT_SYMLINK_NOFOLLOW), SyscallSucceeds());
  EXPECT_EQ(OwnerOf(dir.Join("l"), false).uid, 21u);
}

TEST(Fchownat, EmptyPathChangesFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(fchownat(fd.get(), "", 31, 32, AT_EMPTY_PATH), SyscallSucceeds());
  EXPECT_EQ(OwnerOf(dir.Join("f")).gid, 32u);
}

TEST(Fchownat, BadFlagIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(fchownat(AT_FDCWD, dir.Join("f").c_str(), 1, 1, 0x2), SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
