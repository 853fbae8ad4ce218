#include <linux/capability.h>
#include <sys/random.h>

#include <cstring>

#include "sentry/syscalls/linux/sys_info.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using InfoTest = TaskFixture;

TEST_F(InfoTest, Uname) {
  ASSERT_TRUE(sys_uname(t(), UserPtr<struct utsname>{kData}).has_value());
  auto u = Read<struct utsname>(kData);
  EXPECT_STREQ(u.sysname, "Linux");
  EXPECT_STREQ(u.nodename, "bulwark");
  EXPECT_STREQ(u.release, kernel::kUnameRelease);
  EXPECT_STREQ(u.version, kernel::kUnameVersion);
  EXPECT_STREQ(u.machine, "x86_64");
  EXPECT_STREQ(u.domainname, "(none)");
  EXPECT_ERRNO(sys_uname(t(), UserPtr<struct utsname>{kBad}), kEFAULT);
}

TEST_F(InfoTest, SetHostname) {
  ASSERT_TRUE(t().CopyOutBytes(kData, "sandbox", 7).has_value());
  EXPECT_ERRNO(sys_sethostname(t(), UserPtr<char>{kData}, 7), kEPERM);
  t().creds().cap_effective = uint64_t{1} << CAP_SYS_ADMIN;
  EXPECT_ERRNO(sys_sethostname(t(), UserPtr<char>{kData}, 65), kEINVAL);
  EXPECT_ERRNO(sys_sethostname(t(), UserPtr<char>{kData}, -1), kEINVAL);
  EXPECT_ERRNO(sys_sethostname(t(), UserPtr<char>{kBad}, 7), kEFAULT);
  ASSERT_TRUE(sys_sethostname(t(), UserPtr<char>{kData}, 4).has_value());
  EXPECT_EQ(kernel_->opts().hostname, "sand");
  ASSERT_TRUE(sys_setdomainname(t(), UserPtr<char>{kData}, 7).has_value());
  ASSERT_TRUE(sys_uname(t(), UserPtr<struct utsname>{kData + 4096}).has_value());
  auto u = Read<struct utsname>(kData + 4096);
  EXPECT_STREQ(u.nodename, "sand");
  EXPECT_STREQ(u.domainname, "sandbox");
  std::string max(64, 'h');
  ASSERT_TRUE(t().CopyOutBytes(kData, max.data(), max.size()).has_value());
  ASSERT_TRUE(sys_sethostname(t(), UserPtr<char>{kData}, 64).has_value());
  EXPECT_EQ(kernel_->opts().hostname, max);
  ASSERT_TRUE(sys_sethostname(t(), UserPtr<char>{kData}, 0).has_value());
  EXPECT_EQ(kernel_->opts().hostname, "");
}

TEST_F(InfoTest, Sysinfo) {
  kernel_->opts().total_memory = 1 << 30;
  ASSERT_TRUE(sys_sysinfo(t(), UserPtr<struct sysinfo>{kData}).has_value());
  auto si = Read<struct sysinfo>(kData);
  EXPECT_EQ(si.totalram, 1u << 30);
  EXPECT_LE(si.freeram, si.totalram);
  EXPECT_EQ(si.procs, 1);
  EXPECT_EQ(si.mem_unit, 1u);
  EXPECT_GE(si.uptime, 0);
  EXPECT_ERRNO(sys_sysinfo(t(), UserPtr<struct sysinfo>{kBad}), kEFAULT);
}

TEST_F(InfoTest, GetrandomFlags) {
  auto buf = UserPtr<uint8_t>{kData};
  EXPECT_ERRNO(sys_getrandom(t(), buf, 16, 8), kEINVAL);
  EXPECT_ERRNO(sys_getrandom(t(), buf, 16, GRND_RANDOM | GRND_INSECURE), kEINVAL);
  for (unsigned f : {0u, unsigned{GRND_NONBLOCK}, unsigned{GRND_RANDOM}, unsigned{GRND_INSECURE}}) {
    auto r = sys_getrandom(t(), buf, 16, f);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 16u);
  }
  EXPECT_EQ(*sys_getrandom(t(), buf, 0, 0), 0u);
}

TEST_F(InfoTest, GetrandomFillsAndStopsAtFault) {
  std::vector<uint8_t> zero(kDataSize, 0);
  ASSERT_TRUE(t().CopyOutBytes(kData, zero.data(), zero.size()).has_value());
  auto r = sys_getrandom(t(), UserPtr<uint8_t>{kData}, kDataSize, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, kDataSize);
  std::vector<uint8_t> got(kDataSize);
  ASSERT_TRUE(t().CopyInBytes(kData, got.data(), got.size()).has_value());
  EXPECT_NE(got, zero);
  // Running off the end of the mapping: the bytes before the fault count.
  r = sys_getrandom(t(), UserPtr<uint8_t>{kData + kDataSize - 100}, 1000, 0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 100u);
  EXPECT_ERRNO(sys_getrandom(t(), UserPtr<uint8_t>{kBad}, 10, 0), kEFAULT);
}

}  // namespace
}  // namespace bulwark::syscalls
