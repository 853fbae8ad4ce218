// getuid(2) family, setuid(2) family, setgroups(2), setfsuid(2).
// syscalls: getuid geteuid getgid getegid setuid setgid setreuid setregid setresuid getresuid setresgid getresgid getgroups setgroups setfsuid setfsgid
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

// Runs `fn` in a child; returns true if it exited 0.
bool InChild(const std::function<void()>& fn) {
  int status = RunInChild(fn);
  if (!ExitedWith(status, 0)) {
    ADD_FAILURE() << "child " << DescribeWaitStatus(status);
    return false;
  }
  return true;
}

TEST(Getuid, RootInThisSuite) {
  EXPECT_EQ(getuid(), 0u);
  EXPECT_EQ(geteuid(), 0u);
  EXPECT_EQ(syscall(SYS_getuid), 0);
}

TEST(Getgid, RootGroup) {
  EXPECT_EQ(getgid(), 0u);
  EXPECT_EQ(getegid(), 0u);
}

TEST(Getresuid, AllThreeReported) {
  uid_t r, e, s;
  ASSERT_THAT(getresuid(&r, &e, &s), SyscallSucceeds());
  EXPECT_EQ(r, getuid());
  EXPECT_EQ(e, geteuid());
  EXPECT_EQ(s, 0u);
}

TEST(Setuid, RootSetsAllIds) {
  InChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    uid_t r, e, s;
    CHILD_CHECK(getresuid(&r, &e, &s) == 0);
    CHILD_CHECK(r == 1000 && e == 1000 && s == 1000);
    CHILD_CHECK(setuid(0) == -1 && errno == EPERM);
  });
}

TEST(Setuid, UnprivilegedCanOnlySetToRealOrSaved) {
  InChild([] {
    CHILD_CHECK(setresuid(1000, 1001, 1002) == 0);
    CHILD_CHECK(setuid(1002) == 0);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHILD_CHECK(r == 1000 && e == 1002 && s == 1002);
    CHILD_CHECK(setuid(1003) == -1 && errno == EPERM);
  });
}

TEST(Setuid, DroppingRootClearsCapabilities) {
  InChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    std::string status;
    CHILD_CHECK(ReadFile("/proc/self/status", &status));
    CHILD_CHECK(status.find("CapEff:\t0000000000000000") != std::string::npos);
  });
}

TEST(Setgid, RootSetsAllGroupIds) {
  InChild([] {
    CHILD_CHECK(setgid(2000) == 0);
    gid_t r, e, s;
    CHILD_CHECK(getresgid(&r, &e, &s) == 0);
    CHILD_CHECK(r == 2000 && e == 2000 && s == 2000);
  });
}

TEST(Setgid, UnprivilegedArbitraryIsEPERM) {
  InChild([] {
    CHILD_CHECK(setresgid(3000, 3000, 3000) == 0);
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(setgid(3001) == -1 && errno == EPERM);
    CHILD_CHECK(setgid(3000) == 0);
  });
}

TEST(Setreuid, SwapsRealAndEffective) {
  InChild([] {
    CHILD_CHECK(setresuid(1000, 1001, 0) == 0);
    CHILD_CHECK(setreuid(1001, 1000) == 0);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHILD_CHECK(r == 1001 && e == 1000);
  });
}

TEST(Setreuid, MinusOneLeavesUnchanged) {
  InChild([] {
    CHILD_CHECK(setreuid(-1, 1234) == 0);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHILD_CHECK(r == 0 && e == 1234);
  });
}

TEST(Setreuid, SavedSetWhenRealChanges) {
  // setreuid(2): if the real uid is set, the saved set-user-ID becomes the new effective uid.
  InChild([] {
    CHILD_CHECK(setreuid(1000, 1001) == 0);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHILD_CHECK(r == 1000 && e == 1001 && s == 1001);
  });
}

TEST(Setregid, SetsBoth) {
  InChild([] {
    CHILD_CHECK(setregid(10, 20) == 0);
    gid_t r, e, s;
    getresgid(&r, &e, &s);
    CHILD_CHECK(r == 10 && e == 20 && s == 20);
  });
}

TEST(Setresuid, UnprivilegedCanPermute) {
  InChild([] {
    CHILD_CHECK(setresuid(1000, 1001, 1002) == 0);
    CHILD_CHECK(setresuid(1002, 1000, 1001) == 0);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHILD_CHECK(r == 1002 && e == 1000 && s == 1001);
    CHILD_CHECK(setresuid(5, -1, -1) == -1 && errno == EPERM);
  });
}

TEST(Setresgid, MinusOneKeeps) {
  InChild([] {
    CHILD_CHECK(setresgid(7, 8, 9) == 0);
    CHILD_CHECK(setresgid(-1, 70, -1) == 0);
    gid_t r, e, s;
    getresgid(&r, &e, &s);
    CHILD_CHECK(r == 7 && e == 70 && s == 9);
  });
}

TEST(Getresuid, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_getresuid, reinterpret_cast<uid_t*>(8), nullptr, nullptr),
              SyscallFailsWithErrno(EFAULT));
}

TEST(Setgroups, SetAndGet) {
  InChild([] {
    gid_t groups[] = {5, 6, 7};
    CHILD_CHECK(setgroups(3, groups) == 0);
    gid_t got[8];
    int n = getgroups(8, got);
    CHILD_CHECK(n == 3);
    CHILD_CHECK(got[0] == 5 && got[1] == 6 && got[2] == 7);
  });
}

TEST(Getgroups, ZeroSizeReturnsCount) {
  int n = getgroups(0, nullptr);
  ASSERT_THAT(n, SyscallSucceeds());
  EXPECT_GE(n, 0);
}

TEST(Getgroups, TooSmallBufferIsEINVAL) {
  InChild([] {
    gid_t groups[] = {5, 6, 7};
    CHILD_CHECK(setgroups(3, groups) == 0);
    gid_t got[2];
    CHILD_CHECK(getgroups(2, got) == -1 && errno == EINVAL);
  });
}

TEST(Setgroups, UnprivilegedIsEPERM) {
  InChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    gid_t g = 1;
    CHILD_CHECK(setgroups(1, &g) == -1 && errno == EPERM);
  });
}

TEST(Setgroups, TooManyIsEINVAL) {
  std::vector<gid_t> groups(65537, 1);
  EXPECT_THAT(syscall(SYS_setgroups, groups.size(), groups.data()), SyscallFailsWithErrno(EINVAL));
}

TEST(Setfsuid, ChangesFileAccessIdentity) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0777), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0600), SyscallSucceeds());
  InChild([&] {
    CHILD_CHECK(setfsuid(1000) == 0);
    CHILD_CHECK(setfsuid(1000) == 1000);
    // A fsuid change from 0 drops the file capabilities from the effective set.
    CHILD_CHECK(open((dir.path() + "/f").c_str(), O_RDONLY) == -1 && errno == EACCES);
    CHILD_CHECK(WriteFile(dir.path() + "/g", ""));
  });
  struct stat st;
  ASSERT_THAT(stat(dir.Join("g").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_uid, 1000u);
}

TEST(Setfsgid, ReturnsPrevious) {
  InChild([] {
    CHILD_CHECK(setfsgid(55) == 0);
    CHILD_CHECK(setfsgid(-1) == 55);
  });
}

TEST(Setuid, ChildOwnsNewFilesAsEuid) {
  TempDir dir;
  ASSERT_THAT(chmod(dir.path().c_str(), 0777), SyscallSucceeds());
  InChild([&] {
    CHILD_CHECK(setgid(4321) == 0);
    CHILD_CHECK(setuid(1234) == 0);
    CHILD_CHECK(WriteFile(dir.path() + "/f", ""));
  });
  struct stat st;
  ASSERT_THAT(stat(dir.Join("f").c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 4321u);
}

}  // namespace
}  // namespace conformance
