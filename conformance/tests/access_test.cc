// access(2), faccessat(2), faccessat2(2).
// syscalls: access faccessat faccessat2
// syscalls(Faccessat2): faccessat2
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

// Runs `fn` in a child whose real and effective ids are nobody.
int AsNobody(const std::function<void()>& fn) {
  return RunInChild([&] {
    CHILD_CHECK(setgroups(0, nullptr) == 0);
    CHILD_CHECK(setgid(65534) == 0);
    CHILD_CHECK(setuid(65534) == 0);
    fn();
  });
}

TEST(Access, ExistingFileFOK) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(access(dir.Join("f").c_str(), F_OK), SyscallSucceeds());
}

TEST(Access, MissingIsENOENT) {
  TempDir dir;
  EXPECT_THAT(access(dir.Join("f").c_str(), F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Access, BadModeIsEINVAL) {
  EXPECT_THAT(access("/", 0x100), SyscallFailsWithErrno(EINVAL));
}

TEST(Access, RootMayReadAndWriteMode000) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "", 0000));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("f").c_str(), R_OK | W_OK), SyscallSucceeds());
}

TEST(Access, RootNeedsSomeExecuteBit) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "", 0644));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0644), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("f").c_str(), X_OK), SyscallFailsWithErrno(EACCES));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0001), SyscallSucceeds());
  EXPECT_THAT(access(dir.Join("f").c_str(), X_OK), SyscallSucceeds());
}

TEST(Access, OtherUserBitsApply) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0604), SyscallSucceeds());
  int status = AsNobody([&] {
    std::string f = dir.path() + "/f";
    CHILD_CHECK(access(f.c_str(), R_OK) == 0);
    CHILD_CHECK(access(f.c_str(), W_OK) == -1 && errno == EACCES);
    CHILD_CHECK(access(f.c_str(), X_OK) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Access, OwnerBitsApplyToOwner) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chown(dir.Join("f").c_str(), 65534, 0), SyscallSucceeds());
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0207), SyscallSucceeds());
  int status = AsNobody([&] {
    std::string f = dir.path() + "/f";
    // The owner class applies even though "other" would allow reading.
    CHILD_CHECK(access(f.c_str(), R_OK) == -1 && errno == EACCES);
    CHILD_CHECK(access(f.c_str(), W_OK) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Access, SearchPermissionOnPathIsEACCES) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0700), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("d/f"), "", 0644));
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  int status = AsNobody([&] {
    CHILD_CHECK(access((dir.path() + "/d/f").c_str(), F_OK) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Access, UsesRealNotEffectiveUid) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0600), SyscallSucceeds());
  int status = RunInChild([&] {
    // Real uid nobody, effective uid root.
    CHILD_CHECK(setresuid(65534, 0, 0) == 0);
    std::string f = dir.path() + "/f";
    CHILD_CHECK(access(f.c_str(), R_OK) == -1 && errno == EACCES);
    CHILD_CHECK(faccessat(AT_FDCWD, f.c_str(), R_OK, AT_EACCESS) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Access, EmptyPathIsENOENT) {
  EXPECT_THAT(access("", F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Faccessat, RelativeToDirFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_THAT(faccessat(d.get(), "f", R_OK, 0), SyscallSucceeds());
  EXPECT_THAT(faccessat(d.get(), "g", R_OK, 0), SyscallFailsWithErrno(ENOENT));
}

TEST(Faccessat, SymlinkNoFollowOnDangling) {
  TempDir dir;
  ASSERT_THAT(symlink("nowhere", dir.Join("l").c_str()), SyscallSucceeds());
  EXPECT_THAT(faccessat(AT_FDCWD, dir.Join("l").c_str(), F_OK, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(syscall(SYS_faccessat2, AT_FDCWD, dir.Join("l").c_str(), F_OK, AT_SYMLINK_NOFOLLOW),
              SyscallSucceeds());
}

TEST(Faccessat2, BadFlagIsEINVAL) {
  EXPECT_THAT(syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Faccessat2, EmptyPathChecksFd) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(syscall(SYS_faccessat2, fd.get(), "", R_OK, AT_EMPTY_PATH), SyscallSucceeds());
}

TEST(Faccessat2, EaccessUsesEffectiveIds) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0600), SyscallSucceeds());
  int status = RunInChild([&] {
    // Real uid root, effective uid nobody.
    CHILD_CHECK(setresuid(0, 65534, 0) == 0);
    std::string f = dir.path() + "/f";
    CHILD_CHECK(syscall(SYS_faccessat2, AT_FDCWD, f.c_str(), R_OK, AT_EACCESS) == -1 &&
                errno == EACCES);
    CHILD_CHECK(syscall(SYS_faccessat2, AT_FDCWD, f.c_str(), R_OK, 0) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
