#include <linux/capability.h>

#include "sentry/syscalls/linux/sys_ids.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

constexpr uint64_t kAllCaps = (uint64_t{1} << 41) - 1;
constexpr uint32_t kNone = static_cast<uint32_t>(-1);

class IdsTest : public TaskFixture {
 protected:
  void SetUp() override {
    TaskFixture::SetUp();
    auto& c = t().creds();
    c.cap_effective = c.cap_permitted = c.cap_bounding = kAllCaps;
  }
  void BecomeUser(uid_t r, uid_t e, uid_t s) {
    auto& c = t().creds();
    c.ruid = r;
    c.euid = c.fsuid = e;
    c.suid = s;
    c.cap_effective = c.cap_permitted = 0;
  }
  kernel::Credentials& c() { return t().creds(); }
};

TEST_F(IdsTest, Getters) {
  c().ruid = 1;
  c().euid = 2;
  c().suid = 3;
  c().rgid = 4;
  c().egid = 5;
  c().sgid = 6;
  EXPECT_EQ(*sys_getuid(t()), 1u);
  EXPECT_EQ(*sys_geteuid(t()), 2u);
  EXPECT_EQ(*sys_getgid(t()), 4u);
  EXPECT_EQ(*sys_getegid(t()), 5u);
  ASSERT_TRUE(sys_getresuid(t(), UserPtr<uid_t>{kData}, UserPtr<uid_t>{kData + 4},
                            UserPtr<uid_t>{kData + 8}));
  EXPECT_EQ(Read<uid_t>(kData + 8), 3u);
  ASSERT_TRUE(sys_getresgid(t(), UserPtr<gid_t>{kData}, UserPtr<gid_t>{kData + 4},
                            UserPtr<gid_t>{kData + 8}));
  EXPECT_EQ(Read<gid_t>(kData + 8), 6u);
  EXPECT_ERRNO(sys_getresuid(t(), UserPtr<uid_t>{kData}, UserPtr<uid_t>{kBad},
                             UserPtr<uid_t>{kData}), kEFAULT);
}

TEST_F(IdsTest, SetuidAsRootDropsCaps) {
  EXPECT_ERRNO(sys_setuid(t(), kNone), kEINVAL);
  ASSERT_TRUE(sys_setuid(t(), 1000));
  EXPECT_EQ(c().ruid, 1000u);
  EXPECT_EQ(c().euid, 1000u);
  EXPECT_EQ(c().suid, 1000u);
  EXPECT_EQ(c().fsuid, 1000u);
  EXPECT_EQ(c().cap_effective, 0u);
  EXPECT_EQ(c().cap_permitted, 0u);
  EXPECT_ERRNO(sys_setuid(t(), 0), kEPERM);
}

TEST_F(IdsTest, KeepCapsKeepsPermitted) {
  c().keep_caps = true;
  c().cap_ambient = 1;
  ASSERT_TRUE(sys_setresuid(t(), 1000, 1000, 1000));
  EXPECT_EQ(c().cap_permitted, kAllCaps);
  EXPECT_EQ(c().cap_effective, 0u);
  EXPECT_EQ(c().cap_ambient, 0u);
}

TEST_F(IdsTest, EuidToggleSwapsEffectiveCaps) {
  ASSERT_TRUE(sys_setresuid(t(), kNone, 1000, kNone));  // saved uid stays 0
  EXPECT_EQ(c().cap_effective, 0u);
  EXPECT_EQ(c().cap_permitted, kAllCaps);
  ASSERT_TRUE(sys_setresuid(t(), kNone, 0, kNone));
  EXPECT_EQ(c().cap_effective, kAllCaps);
}

TEST_F(IdsTest, UnprivilegedSetuid) {
  BecomeUser(1000, 1001, 1002);
  ASSERT_TRUE(sys_setuid(t(), 1002));  // the saved uid: only euid/fsuid change
  EXPECT_EQ(c().ruid, 1000u);
  EXPECT_EQ(c().euid, 1002u);
  EXPECT_EQ(c().fsuid, 1002u);
  EXPECT_EQ(c().suid, 1002u);
  EXPECT_ERRNO(sys_setuid(t(), 1001), kEPERM);  // only the effective uid had it
}

TEST_F(IdsTest, Setreuid) {
  BecomeUser(1000, 1001, 1002);
  EXPECT_ERRNO(sys_setreuid(t(), 1002, kNone), kEPERM);  // ruid: real or effective only
  EXPECT_ERRNO(sys_setreuid(t(), kNone, 5), kEPERM);
  ASSERT_TRUE(sys_setreuid(t(), kNone, 1002));
  EXPECT_EQ(c().suid, 1002u);  // euid != old ruid: saved = new euid
  ASSERT_TRUE(sys_setreuid(t(), kNone, 1000));
  EXPECT_EQ(c().suid, 1002u);  // euid == ruid: saved unchanged
  ASSERT_TRUE(sys_setreuid(t(), 1000, 1000));
  EXPECT_EQ(c().suid, 1000u);  // ruid given: saved = euid
}

TEST_F(IdsTest, Setresuid) {
  BecomeUser(1, 2, 3);
  EXPECT_ERRNO(sys_setresuid(t(), 4, kNone, kNone), kEPERM);
  ASSERT_TRUE(sys_setresuid(t(), 3, 1, 2));
  EXPECT_EQ(c().ruid, 3u);
  EXPECT_EQ(c().euid, 1u);
  EXPECT_EQ(c().suid, 2u);
  EXPECT_EQ(c().fsuid, 1u);
}

TEST_F(IdsTest, GidFamily) {
  EXPECT_ERRNO(sys_setgid(t(), kNone), kEINVAL);
  ASSERT_TRUE(sys_setgid(t(), 50));
  EXPECT_EQ(c().rgid, 50u);
  EXPECT_EQ(c().sgid, 50u);
  c().cap_effective = 0;
  EXPECT_ERRNO(sys_setgid(t(), 51), kEPERM);
  EXPECT_ERRNO(sys_setresgid(t(), 51, kNone, kNone), kEPERM);
  EXPECT_ERRNO(sys_setregid(t(), kNone, 51), kEPERM);
  ASSERT_TRUE(sys_setregid(t(), kNone, 50));
  EXPECT_EQ(*sys_setfsgid(t(), 51), 50u);  // refused: returns old, no change
  EXPECT_EQ(c().fsgid, 50u);
  EXPECT_EQ(*sys_setfsgid(t(), kNone), 50u);
}

TEST_F(IdsTest, Setfsuid) {
  EXPECT_EQ(*sys_setfsuid(t(), 1000), 0u);
  EXPECT_EQ(c().fsuid, 1000u);
  EXPECT_EQ(c().cap_effective & (uint64_t{1} << CAP_DAC_OVERRIDE), 0u);
  EXPECT_NE(c().cap_effective & (uint64_t{1} << CAP_SETUID), 0u);
  EXPECT_EQ(*sys_setfsuid(t(), 0), 1000u);
  EXPECT_EQ(c().cap_effective, kAllCaps);
  BecomeUser(5, 5, 5);
  EXPECT_EQ(*sys_setfsuid(t(), 6), 5u);
  EXPECT_EQ(c().fsuid, 5u);
}

TEST_F(IdsTest, Groups) {
  for (uint32_t i = 0; i < 3; ++i) Write<gid_t>(kData + 4 * i, 30 - i);
  ASSERT_TRUE(sys_setgroups(t(), 3, UserPtr<gid_t>{kData}));
  EXPECT_EQ(*sys_getgroups(t(), 0, UserPtr<gid_t>{0}), 3);
  EXPECT_ERRNO(sys_getgroups(t(), 2, UserPtr<gid_t>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_getgroups(t(), -1, UserPtr<gid_t>{kData}), kEINVAL);
  EXPECT_EQ(*sys_getgroups(t(), 10, UserPtr<gid_t>{kData + 64}), 3);
  EXPECT_EQ(Read<gid_t>(kData + 64), 28u);  // sorted
  EXPECT_ERRNO(sys_getgroups(t(), 10, UserPtr<gid_t>{kBad}), kEFAULT);
  EXPECT_ERRNO(sys_setgroups(t(), 65537, UserPtr<gid_t>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_setgroups(t(), -1, UserPtr<gid_t>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_setgroups(t(), 2, UserPtr<gid_t>{kBad}), kEFAULT);
  Write<gid_t>(kData, kNone);
  EXPECT_ERRNO(sys_setgroups(t(), 1, UserPtr<gid_t>{kData}), kEINVAL);
  ASSERT_TRUE(sys_setgroups(t(), 0, UserPtr<gid_t>{0}));
  c().cap_effective = 0;
  EXPECT_ERRNO(sys_setgroups(t(), 0, UserPtr<gid_t>{0}), kEPERM);
}

TEST_F(IdsTest, Capget) {
  auto hdr = UserPtr<__user_cap_header_struct>{kData};
  auto data = UserPtr<__user_cap_data_struct>{kData + 64};
  Write(kData, __user_cap_header_struct{0x12345678, 0});
  EXPECT_TRUE(sys_capget(t(), hdr, UserPtr<__user_cap_data_struct>{0}).has_value());
  EXPECT_EQ(Read<uint32_t>(kData), uint32_t{_LINUX_CAPABILITY_VERSION_3});
  Write(kData, __user_cap_header_struct{0x12345678, 0});
  EXPECT_ERRNO(sys_capget(t(), hdr, data), kEINVAL);
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_3, -1});
  EXPECT_ERRNO(sys_capget(t(), hdr, data), kEINVAL);
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_3, 4242});
  EXPECT_ERRNO(sys_capget(t(), hdr, data), kESRCH);
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_3, 0});
  ASSERT_TRUE(sys_capget(t(), hdr, data));
  EXPECT_EQ(Read<__user_cap_data_struct>(kData + 64).effective, 0xffffffffu);
  EXPECT_EQ(Read<__user_cap_data_struct>(kData + 64 + 12).permitted, 0x1ffu);
  EXPECT_ERRNO(sys_capget(t(), UserPtr<__user_cap_header_struct>{kBad}, data), kEFAULT);
}

TEST_F(IdsTest, Capset) {
  auto hdr = UserPtr<__user_cap_header_struct>{kData};
  auto data = UserPtr<__user_cap_data_struct>{kData + 64};
  auto set = [&](uint64_t eff, uint64_t perm, uint64_t inh) {
    Write(kData + 64, __user_cap_data_struct{uint32_t(eff), uint32_t(perm), uint32_t(inh)});
    Write(kData + 76, __user_cap_data_struct{uint32_t(eff >> 32), uint32_t(perm >> 32),
                                             uint32_t(inh >> 32)});
  };
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_3, 4242});
  set(0, 0, 0);
  EXPECT_ERRNO(sys_capset(t(), hdr, data), kEPERM);
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_3, 0});
  set(3, 1, 0);
  EXPECT_ERRNO(sys_capset(t(), hdr, data), kEPERM);  // effective not in permitted
  set(1, 3, 0);
  ASSERT_TRUE(sys_capset(t(), hdr, data));
  EXPECT_EQ(c().cap_permitted, 3u);
  set(1, 7, 0);
  EXPECT_ERRNO(sys_capset(t(), hdr, data), kEPERM);  // permitted cannot grow
  c().cap_bounding = 1;
  set(1, 3, 2);
  EXPECT_ERRNO(sys_capset(t(), hdr, data), kEPERM);  // inheritable outside bounding
  // Version 1 sets only the low 32 bits.
  Write(kData, __user_cap_header_struct{_LINUX_CAPABILITY_VERSION_1, 0});
  set(1, 1, 1);
  ASSERT_TRUE(sys_capset(t(), hdr, data));
  EXPECT_EQ(c().cap_inheritable, 1u);
  Write(kData, __user_cap_header_struct{1, 0});
  EXPECT_ERRNO(sys_capset(t(), hdr, data), kEINVAL);
}

}  // namespace
}  // namespace bulwark::syscalls
