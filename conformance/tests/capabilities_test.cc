// capget(2), capset(2), and capabilities across setuid.
// syscalls: capget capset
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Caps {
  __user_cap_header_struct hdr;
  __user_cap_data_struct data[2];
};

bool GetCaps(Caps* c, pid_t pid = 0) {
  c->hdr = {_LINUX_CAPABILITY_VERSION_3, pid};
  return syscall(SYS_capget, &c->hdr, c->data) == 0;
}

bool Has(const Caps& c, int cap, bool effective = true) {
  const auto& d = c.data[cap / 32];
  return ((effective ? d.effective : d.permitted) >> (cap % 32)) & 1;
}

TEST(Capget, RootHasCommonCapabilities) {
  Caps c;
  ASSERT_TRUE(GetCaps(&c)) << strerror(errno);
  EXPECT_TRUE(Has(c, CAP_CHOWN));
  EXPECT_TRUE(Has(c, CAP_DAC_OVERRIDE));
  EXPECT_TRUE(Has(c, CAP_SETUID));
  EXPECT_TRUE(Has(c, CAP_KILL));
}

TEST(Capget, VersionProbeWritesPreferredVersion) {
  // With a NULL data pointer an unknown version is a successful probe.
  __user_cap_header_struct hdr = {0x12345678, 0};
  EXPECT_THAT(syscall(SYS_capget, &hdr, nullptr), SyscallSucceeds());
  EXPECT_EQ(hdr.version, static_cast<__u32>(_LINUX_CAPABILITY_VERSION_3));
}

TEST(Capget, UnknownVersionWithDataIsEINVAL) {
  __user_cap_header_struct hdr = {0x12345678, 0};
  __user_cap_data_struct data[2];
  EXPECT_THAT(syscall(SYS_capget, &hdr, data), SyscallFailsWithErrno(EINVAL));
  EXPECT_EQ(hdr.version, static_cast<__u32>(_LINUX_CAPABILITY_VERSION_3));
}

TEST(Capget, NullDataWithValidVersionSucceeds) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  EXPECT_THAT(syscall(SYS_capget, &hdr, nullptr), SyscallSucceeds());
}

TEST(Capget, OtherProcess) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char ch;
    read(p.r.get(), &ch, 1);
    _exit(0);
  }
  Caps c;
  EXPECT_TRUE(GetCaps(&c, pid));
  EXPECT_TRUE(Has(c, CAP_CHOWN));
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(Capget, NoSuchProcessIsESRCH) {
  Caps c;
  c.hdr = {_LINUX_CAPABILITY_VERSION_3, 0x3ffffff};
  EXPECT_THAT(syscall(SYS_capget, &c.hdr, c.data), SyscallFailsWithErrno(ESRCH));
}

TEST(Capset, DropEffectiveCapability) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0), SyscallSucceeds());
  int status = RunInChild([&] {
    Caps c;
    CHILD_CHECK(GetCaps(&c));
    c.data[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    c.hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    CHILD_CHECK(syscall(SYS_capset, &c.hdr, c.data) == 0);
    Caps after;
    CHILD_CHECK(GetCaps(&after) && !Has(after, CAP_DAC_OVERRIDE) && Has(after, CAP_DAC_OVERRIDE, false));
    CHILD_CHECK(open((dir.path() + "/f").c_str(), O_RDONLY) == -1 && errno == EACCES);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Capset, CannotRaiseBeyondPermitted) {
  int status = RunInChild([] {
    Caps c;
    CHILD_CHECK(GetCaps(&c));
    c.data[0].permitted &= ~(1u << CAP_CHOWN);
    c.data[0].effective &= ~(1u << CAP_CHOWN);
    c.hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    CHILD_CHECK(syscall(SYS_capset, &c.hdr, c.data) == 0);
    c.data[0].effective |= 1u << CAP_CHOWN;
    c.hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    CHILD_CHECK(syscall(SYS_capset, &c.hdr, c.data) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Capset, OtherProcessIsEPERM) {
  Caps c;
  ASSERT_TRUE(GetCaps(&c));
  c.hdr = {_LINUX_CAPABILITY_VERSION_3, getppid()};
  EXPECT_THAT(syscall(SYS_capset, &c.hdr, c.data), SyscallFailsWithErrno(EPERM));
}

TEST(Capabilities, SetuidToNonRootClearsSets) {
  int status = RunInChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    Caps c;
    CHILD_CHECK(GetCaps(&c));
    CHILD_CHECK(c.data[0].effective == 0 && c.data[0].permitted == 0);
    CHILD_CHECK(c.data[1].effective == 0 && c.data[1].permitted == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Capabilities, KeepCapsPreservesPermitted) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
    CHILD_CHECK(setresuid(1000, 1000, 1000) == 0);
    Caps c;
    CHILD_CHECK(GetCaps(&c));
    CHILD_CHECK(c.data[0].effective == 0);
    CHILD_CHECK(Has(c, CAP_CHOWN, false));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Capabilities, EffectiveUidChangeTogglesEffectiveSet) {
  int status = RunInChild([] {
    CHILD_CHECK(setresuid(0, 1000, 0) == 0);
    Caps c;
    CHILD_CHECK(GetCaps(&c) && c.data[0].effective == 0 && Has(c, CAP_CHOWN, false));
    CHILD_CHECK(seteuid(0) == 0);
    CHILD_CHECK(GetCaps(&c) && Has(c, CAP_CHOWN));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Capabilities, BoundingSetQuery) {
  EXPECT_THAT(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), SyscallSucceedsWithValue(1));
  EXPECT_THAT(prctl(PR_CAPBSET_READ, 200, 0, 0, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(Capabilities, BoundingSetDropIsPermanent) {
  int status = RunInChild([] {
    CHILD_CHECK(prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0) == 0);
    CHILD_CHECK(prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0) == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_THAT(prctl(PR_CAPBSET_READ, CAP_MKNOD, 0, 0, 0), SyscallSucceedsWithValue(1));
}

}  // namespace
}  // namespace conformance
