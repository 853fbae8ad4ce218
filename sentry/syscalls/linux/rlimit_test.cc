#include <linux/capability.h>

#include "sentry/syscalls/linux/sys_rlimit.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

using RlimitTest = TaskFixture;

TEST_F(RlimitTest, GetAndSet) {
  auto p = UserPtr<struct rlimit>{kData};
  tg_->rlimits[RLIMIT_NOFILE] = {1024, 4096};
  ASSERT_TRUE(sys_getrlimit(t(), RLIMIT_NOFILE, p));
  EXPECT_EQ(Read<struct rlimit>(kData).rlim_cur, 1024u);
  EXPECT_EQ(Read<struct rlimit>(kData).rlim_max, 4096u);
  EXPECT_ERRNO(sys_getrlimit(t(), RLIM_NLIMITS, p), kEINVAL);
  EXPECT_ERRNO(sys_getrlimit(t(), RLIMIT_NOFILE, UserPtr<struct rlimit>{kBad}), kEFAULT);

  Write(kData, rlimit{2048, 4096});
  ASSERT_TRUE(sys_setrlimit(t(), RLIMIT_NOFILE, p));
  EXPECT_EQ(tg_->rlimits[RLIMIT_NOFILE].cur, 2048u);
  Write(kData, rlimit{5000, 4096});
  EXPECT_ERRNO(sys_setrlimit(t(), RLIMIT_NOFILE, p), kEINVAL);  // cur > max
  Write(kData, rlimit{100, 2000000});
  EXPECT_ERRNO(sys_setrlimit(t(), RLIMIT_NOFILE, p), kEPERM);  // above nr_open
  Write(kData, rlimit{100, 8192});
  EXPECT_ERRNO(sys_setrlimit(t(), RLIMIT_NOFILE, p), kEPERM);  // raising max needs the cap
  t().creds().cap_effective = uint64_t{1} << CAP_SYS_RESOURCE;
  ASSERT_TRUE(sys_setrlimit(t(), RLIMIT_NOFILE, p));
  EXPECT_EQ(tg_->rlimits[RLIMIT_NOFILE].max, 8192u);
  t().creds().cap_effective = 0;
  Write(kData, rlimit{10, 10});  // lowering is always allowed
  ASSERT_TRUE(sys_setrlimit(t(), RLIMIT_NOFILE, p));
  EXPECT_ERRNO(sys_setrlimit(t(), RLIMIT_NOFILE, UserPtr<struct rlimit>{kBad}), kEFAULT);
  // EFAULT comes before the resource check, as in Linux.
  EXPECT_ERRNO(sys_setrlimit(t(), 99, UserPtr<struct rlimit>{kBad}), kEFAULT);
}

TEST_F(RlimitTest, Prlimit64) {
  auto nw = UserPtr<struct rlimit>{kData};
  auto old = UserPtr<struct rlimit>{kData + 64};
  tg_->rlimits[RLIMIT_STACK] = {8 << 20, RLIM_INFINITY};
  Write(kData, rlimit{16 << 20, RLIM_INFINITY});
  ASSERT_TRUE(sys_prlimit64(t(), 0, RLIMIT_STACK, nw, old));
  EXPECT_EQ(Read<struct rlimit>(kData + 64).rlim_cur, 8u << 20);  // the old value
  EXPECT_EQ(tg_->rlimits[RLIMIT_STACK].cur, 16u << 20);
  ASSERT_TRUE(sys_prlimit64(t(), 0, RLIMIT_STACK, UserPtr<struct rlimit>{0}, old));
  EXPECT_EQ(Read<struct rlimit>(kData + 64).rlim_cur, 16u << 20);
  EXPECT_ERRNO(sys_prlimit64(t(), 4242, RLIMIT_STACK, nw, old), kESRCH);
  EXPECT_ERRNO(sys_prlimit64(t(), 0, RLIM_NLIMITS, nw, old), kEINVAL);
  EXPECT_ERRNO(sys_prlimit64(t(), 0, RLIMIT_STACK, UserPtr<struct rlimit>{kBad}, old), kEFAULT);
  EXPECT_ERRNO(sys_prlimit64(t(), 0, RLIMIT_STACK, nw, UserPtr<struct rlimit>{kBad}), kEFAULT);
  EXPECT_TRUE(sys_prlimit64(t(), 0, RLIMIT_STACK, UserPtr<struct rlimit>{0},
                            UserPtr<struct rlimit>{0}).has_value());
}

}  // namespace
}  // namespace bulwark::syscalls
