#include <asm/prctl.h>
#include <linux/capability.h>

#include "sentry/syscalls/linux/sys_prctl.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using PrctlTest = TaskFixture;

TEST_F(PrctlTest, Name) {
  ASSERT_TRUE(t().CopyOutBytes(kData, "a-very-long-thread-name", 24).has_value());
  ASSERT_TRUE(sys_prctl(t(), PR_SET_NAME, kData, 0, 0, 0));
  EXPECT_EQ(t().comm, "a-very-long-thr");
  ASSERT_TRUE(sys_prctl(t(), PR_GET_NAME, kData + 64, 0, 0, 0));
  char name[16];
  ASSERT_TRUE(t().CopyInBytes(kData + 64, name, 16).has_value());
  EXPECT_STREQ(name, "a-very-long-thr");
  // The last 15 bytes of the mapping, unterminated: no fault.
  ASSERT_TRUE(t().CopyOutBytes(kData + kDataSize - 15, "xxxxxxxxxxxxxxx", 15).has_value());
  ASSERT_TRUE(sys_prctl(t(), PR_SET_NAME, kData + kDataSize - 15, 0, 0, 0));
  EXPECT_EQ(t().comm.size(), 15u);
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_NAME, kData + kDataSize - 3, 0, 0, 0), kEFAULT);
  EXPECT_ERRNO(sys_prctl(t(), PR_GET_NAME, kBad, 0, 0, 0), kEFAULT);
}

TEST_F(PrctlTest, Pdeathsig) {
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_PDEATHSIG, 65, 0, 0, 0), kEINVAL);
  ASSERT_TRUE(sys_prctl(t(), PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  ASSERT_TRUE(sys_prctl(t(), PR_GET_PDEATHSIG, kData, 0, 0, 0));
  EXPECT_EQ(Read<int>(kData), SIGKILL);
  EXPECT_ERRNO(sys_prctl(t(), PR_GET_PDEATHSIG, kBad, 0, 0, 0), kEFAULT);
}

TEST_F(PrctlTest, DumpableKeepcapsSeccomp) {
  EXPECT_EQ(*sys_prctl(t(), PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_DUMPABLE, 2, 0, 0, 0), kEINVAL);
  ASSERT_TRUE(sys_prctl(t(), PR_SET_DUMPABLE, 0, 0, 0, 0));
  EXPECT_EQ(*sys_prctl(t(), PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_KEEPCAPS, 2, 0, 0, 0), kEINVAL);
  ASSERT_TRUE(sys_prctl(t(), PR_SET_KEEPCAPS, 1, 0, 0, 0));
  EXPECT_TRUE(t().creds().keep_caps);
  EXPECT_EQ(*sys_prctl(t(), PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
  EXPECT_EQ(*sys_prctl(t(), PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

TEST_F(PrctlTest, CapabilityBoundingSet) {
  t().creds().cap_bounding = 0xff;
  EXPECT_EQ(*sys_prctl(t(), PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
  EXPECT_EQ(*sys_prctl(t(), PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0), 0);
  EXPECT_ERRNO(sys_prctl(t(), PR_CAPBSET_READ, 41, 0, 0, 0), kEINVAL);
  EXPECT_ERRNO(sys_prctl(t(), PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), kEPERM);
  t().creds().cap_effective = uint64_t{1} << CAP_SETPCAP;
  EXPECT_ERRNO(sys_prctl(t(), PR_CAPBSET_DROP, 41, 0, 0, 0), kEINVAL);
  ASSERT_TRUE(sys_prctl(t(), PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
  EXPECT_EQ(*sys_prctl(t(), PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 0);
}

TEST_F(PrctlTest, SubreaperAndNoNewPrivs) {
  ASSERT_TRUE(sys_prctl(t(), PR_SET_CHILD_SUBREAPER, 5, 0, 0, 0));
  ASSERT_TRUE(sys_prctl(t(), PR_GET_CHILD_SUBREAPER, kData, 0, 0, 0));
  EXPECT_EQ(Read<int>(kData), 1);
  EXPECT_TRUE(tg_->child_subreaper);
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), kEINVAL);
  EXPECT_ERRNO(sys_prctl(t(), PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), kEINVAL);
  EXPECT_EQ(*sys_prctl(t(), PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
  ASSERT_TRUE(sys_prctl(t(), PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  EXPECT_EQ(*sys_prctl(t(), PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
  EXPECT_ERRNO(sys_prctl(t(), PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), kEINVAL);
  EXPECT_ERRNO(sys_prctl(t(), 12345, 0, 0, 0, 0), kEINVAL);
}

TEST_F(PrctlTest, ArchPrctl) {
  ASSERT_TRUE(sys_arch_prctl(t(), ARCH_SET_FS, 0x7000123));
  EXPECT_EQ(t().regs().regs.fs_base, 0x7000123u);
  ASSERT_TRUE(sys_arch_prctl(t(), ARCH_GET_FS, kData));
  EXPECT_EQ(Read<uint64_t>(kData), 0x7000123u);
  ASSERT_TRUE(sys_arch_prctl(t(), ARCH_SET_GS, 0x1000));
  ASSERT_TRUE(sys_arch_prctl(t(), ARCH_GET_GS, kData));
  EXPECT_EQ(Read<uint64_t>(kData), 0x1000u);
  EXPECT_ERRNO(sys_arch_prctl(t(), ARCH_SET_FS, 0x7ffffffff000), kEPERM);
  EXPECT_ERRNO(sys_arch_prctl(t(), ARCH_GET_FS, kBad), kEFAULT);
  EXPECT_EQ(*sys_arch_prctl(t(), ARCH_GET_CPUID, 0), 1);
  EXPECT_ERRNO(sys_arch_prctl(t(), ARCH_SET_CPUID, 0), kENODEV);
  EXPECT_ERRNO(sys_arch_prctl(t(), 0x9999, 0), kEINVAL);
}

}  // namespace
}  // namespace bulwark::syscalls
