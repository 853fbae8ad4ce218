// uname(2), sysinfo(2), sethostname(2), setdomainname(2).
// syscalls: uname sysinfo
// syscalls(Sethostname): sethostname setdomainname
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Uname, FieldsArePopulated) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  EXPECT_STREQ(u.sysname, "Linux");
  EXPECT_STREQ(u.machine, "x86_64");
  EXPECT_GT(strlen(u.release), 0u);
  EXPECT_GT(strlen(u.version), 0u);
  EXPECT_GT(strlen(u.nodename), 0u);
}

TEST(Uname, ReleaseLooksLikeVersion) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  int major = 0, minor = 0;
  ASSERT_EQ(sscanf(u.release, "%d.%d", &major, &minor), 2) << u.release;
  EXPECT_GE(major, 3);
}

TEST(Uname, MatchesProcSysKernel) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  std::string release;
  ASSERT_TRUE(ReadFile("/proc/sys/kernel/osrelease", &release));
  EXPECT_EQ(release, std::string(u.release) + "\n");
}

TEST(Uname, NodenameMatchesGethostname) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  char host[256];
  ASSERT_THAT(gethostname(host, sizeof host), SyscallSucceeds());
  EXPECT_STREQ(host, u.nodename);
}

TEST(Uname, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_uname, reinterpret_cast<void*>(8)), SyscallFailsWithErrno(EFAULT));
}

TEST(Sysinfo, MemoryAndUptime) {
  struct sysinfo si;
  ASSERT_THAT(sysinfo(&si), SyscallSucceeds());
  EXPECT_GT(si.totalram, 0u);
  EXPECT_LE(si.freeram, si.totalram);
  EXPECT_GE(si.uptime, 0);
  EXPECT_GT(si.procs, 0);
  EXPECT_GE(si.mem_unit, 1u);
}

TEST(Sysinfo, UptimeMatchesProcUptime) {
  struct sysinfo si;
  ASSERT_THAT(sysinfo(&si), SyscallSucceeds());
  std::string up;
  ASSERT_TRUE(ReadFile("/proc/uptime", &up));
  double secs = atof(up.c_str());
  EXPECT_NEAR(static_cast<double>(si.uptime), secs, 5.0);
}

TEST(Sysinfo, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_sysinfo, reinterpret_cast<void*>(8)), SyscallFailsWithErrno(EFAULT));
}

TEST(Sethostname, SameNameSucceeds) {
  // Setting the current name again changes nothing (safe on the host too).
  char host[HOST_NAME_MAX + 1];
  ASSERT_THAT(gethostname(host, sizeof host), SyscallSucceeds());
  EXPECT_THAT(sethostname(host, strlen(host)), SyscallSucceeds());
  char again[HOST_NAME_MAX + 1];
  ASSERT_THAT(gethostname(again, sizeof again), SyscallSucceeds());
  EXPECT_STREQ(host, again);
}

TEST(Sethostname, TooLongIsEINVAL) {
  std::string longname(HOST_NAME_MAX + 1, 'a');
  EXPECT_THAT(sethostname(longname.c_str(), longname.size()), SyscallFailsWithErrno(EINVAL));
}

TEST(Sethostname, UnprivilegedIsEPERM) {
  int status = RunInChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(sethostname("x", 1) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Sethostname, BadPointerIsEFAULT) {
  EXPECT_THAT(syscall(SYS_sethostname, reinterpret_cast<char*>(8), 4), SyscallFailsWithErrno(EFAULT));
}

TEST(Setdomainname, TooLongIsEINVAL) {
  std::string longname(65, 'd');
  EXPECT_THAT(setdomainname(longname.c_str(), longname.size()), SyscallFailsWithErrno(EINVAL));
}

TEST(Setdomainname, SameNameSucceeds) {
  struct utsname u;
  ASSERT_THAT(uname(&u), SyscallSucceeds());
  EXPECT_THAT(setdomainname(u.domainname, strlen(u.domainname)), SyscallSucceeds());
}

}  // namespace
}  // namespace conformance
