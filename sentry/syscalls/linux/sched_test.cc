#include <linux/capability.h>

#include "sentry/syscalls/linux/sys_sched.h"
#include "sentry/syscalls/linux/sys_thread_state.h"
#include "sentry/syscalls/linux/task_fixture.h"

namespace bulwark::syscalls {
namespace {

class SchedTest : public TaskFixture {
 protected:
  void SetUp() override {
    TaskFixture::SetUp();
    kernel_->opts().num_cpus = 4;
  }
};

TEST_F(SchedTest, Affinity) {
  auto mask = UserPtr<uint8_t>{kData};
  EXPECT_EQ(*sys_sched_getaffinity(t(), 0, 128, mask), 8);
  EXPECT_EQ(Read<uint64_t>(kData), 0xfu);
  EXPECT_ERRNO(sys_sched_getaffinity(t(), 0, 4, mask), kEINVAL);   // not a multiple of 8
  EXPECT_ERRNO(sys_sched_getaffinity(t(), 0, 0, mask), kEINVAL);   // too small
  EXPECT_ERRNO(sys_sched_getaffinity(t(), 4242, 8, mask), kESRCH);
  EXPECT_ERRNO(sys_sched_getaffinity(t(), -1, 8, mask), kESRCH);
  EXPECT_ERRNO(sys_sched_getaffinity(t(), 0, 8, UserPtr<uint8_t>{kBad}), kEFAULT);

  Write<uint64_t>(kData, 0xf0);  // no CPU of the sandbox
  EXPECT_ERRNO(sys_sched_setaffinity(t(), 0, 8, mask), kEINVAL);
  Write<uint64_t>(kData, 0x16);
  ASSERT_TRUE(sys_sched_setaffinity(t(), 0, 8, mask));
  ASSERT_TRUE(sys_sched_getaffinity(t(), 0, 8, UserPtr<uint8_t>{kData + 64}));
  EXPECT_EQ(Read<uint64_t>(kData + 64), 0x6u);
  // A short mask is zero-extended.
  Write<uint8_t>(kData, 0x1);
  ASSERT_TRUE(sys_sched_setaffinity(t(), 0, 1, mask));
  EXPECT_EQ(t().cpu_affinity, std::vector<uint64_t>{1});
  EXPECT_ERRNO(sys_sched_setaffinity(t(), 4242, 8, mask), kESRCH);
  EXPECT_ERRNO(sys_sched_setaffinity(t(), 0, 8, UserPtr<uint8_t>{kBad}), kEFAULT);

  ASSERT_TRUE(sys_getcpu(t(), UserPtr<unsigned>{kData}, UserPtr<unsigned>{kData + 4}, 0));
  EXPECT_EQ(Read<unsigned>(kData), 0u);  // the only CPU allowed
  EXPECT_EQ(Read<unsigned>(kData + 4), 0u);
  EXPECT_TRUE(sys_getcpu(t(), UserPtr<unsigned>{0}, UserPtr<unsigned>{0}, 0).has_value());
  EXPECT_ERRNO(sys_getcpu(t(), UserPtr<unsigned>{kBad}, UserPtr<unsigned>{0}, 0), kEFAULT);
}

TEST_F(SchedTest, Priority) {
  EXPECT_EQ(*sys_getpriority(t(), PRIO_PROCESS, 0), 20);
  EXPECT_ERRNO(sys_getpriority(t(), 3, 0), kEINVAL);
  EXPECT_ERRNO(sys_getpriority(t(), PRIO_PROCESS, 4242), kESRCH);
  ASSERT_TRUE(sys_setpriority(t(), PRIO_PROCESS, 0, 100));  // clamped to 19
  EXPECT_EQ(tg_->nice, 19);
  EXPECT_EQ(*sys_getpriority(t(), PRIO_PGRP, 0), 1);
  EXPECT_EQ(*sys_getpriority(t(), PRIO_USER, 0), 1);
  // Lowering nice needs RLIMIT_NICE or CAP_SYS_NICE.
  tg_->rlimits[RLIMIT_NICE] = {0, 0};
  EXPECT_ERRNO(sys_setpriority(t(), PRIO_PROCESS, 0, 10), kEACCES);
  tg_->rlimits[RLIMIT_NICE] = {10, 10};  // down to nice 10
  ASSERT_TRUE(sys_setpriority(t(), PRIO_PROCESS, 0, 10));
  EXPECT_ERRNO(sys_setpriority(t(), PRIO_PROCESS, 0, 9), kEACCES);
  t().creds().cap_effective = uint64_t{1} << CAP_SYS_NICE;
  ASSERT_TRUE(sys_setpriority(t(), PRIO_PGRP, 0, -20));
  EXPECT_EQ(*sys_getpriority(t(), PRIO_PROCESS, 0), 40);
  EXPECT_ERRNO(sys_setpriority(t(), PRIO_PGRP, 4242, 0), kESRCH);
  // Another user's process needs CAP_SYS_NICE.
  auto other_tg = std::make_shared<kernel::ThreadGroup>(50);
  kernel::Task other(*kernel_, 50, other_tg);
  other.creds().ruid = other.creds().euid = 2000;
  other_tg->tasks.push_back(&other);
  kernel_->AddThreadGroup(other_tg);
  EXPECT_EQ(*sys_getpriority(t(), PRIO_PGRP, 50), 20);
  EXPECT_EQ(*sys_getpriority(t(), PRIO_USER, 2000), 20);
  t().creds().cap_effective = 0;
  EXPECT_ERRNO(sys_setpriority(t(), PRIO_PGRP, 50, 5), kEPERM);
  t().creds().euid = 2000;
  ASSERT_TRUE(sys_setpriority(t(), PRIO_USER, 2000, 5));
  EXPECT_EQ(other_tg->nice, 5);
  kernel_->RemoveThreadGroup(50);
  other_tg->tasks.clear();
}

TEST_F(SchedTest, Policies) {
  EXPECT_EQ(*sys_sched_getscheduler(t(), 0), SCHED_OTHER);
  EXPECT_ERRNO(sys_sched_getscheduler(t(), -1), kEINVAL);
  EXPECT_ERRNO(sys_sched_getscheduler(t(), 4242), kESRCH);
  Write(kData, sched_param{7});
  ASSERT_TRUE(sys_sched_getparam(t(), 0, UserPtr<sched_param>{kData}));
  EXPECT_EQ(Read<sched_param>(kData).sched_priority, 0);
  EXPECT_ERRNO(sys_sched_getparam(t(), 0, UserPtr<sched_param>{0}), kEINVAL);
  EXPECT_ERRNO(sys_sched_getparam(t(), -1, UserPtr<sched_param>{kData}), kEINVAL);
  EXPECT_ERRNO(sys_sched_getparam(t(), 0, UserPtr<sched_param>{kBad}), kEFAULT);
  EXPECT_EQ(*sys_sched_get_priority_max(t(), SCHED_FIFO), 99);
  EXPECT_EQ(*sys_sched_get_priority_min(t(), SCHED_RR), 1);
  EXPECT_EQ(*sys_sched_get_priority_max(t(), SCHED_OTHER), 0);
  EXPECT_EQ(*sys_sched_get_priority_min(t(), SCHED_BATCH), 0);
  EXPECT_ERRNO(sys_sched_get_priority_max(t(), 42), kEINVAL);
  EXPECT_ERRNO(sys_sched_get_priority_min(t(), -1), kEINVAL);
  EXPECT_TRUE(sys_sched_yield(t()).has_value());
}

TEST_F(SchedTest, ThreadState) {
  EXPECT_EQ(*sys_set_tid_address(t(), 0x1234), t().tid());
  EXPECT_EQ(t().clear_child_tid, 0x1234u);
  EXPECT_ERRNO(sys_set_robust_list(t(), 0x5000, 16), kEINVAL);
  ASSERT_TRUE(sys_set_robust_list(t(), 0x5000, 24));
  ASSERT_TRUE(sys_get_robust_list(t(), 0, UserPtr<uint64_t>{kData}, UserPtr<size_t>{kData + 8}));
  EXPECT_EQ(Read<uint64_t>(kData), 0x5000u);
  EXPECT_EQ(Read<size_t>(kData + 8), 24u);
  EXPECT_ERRNO(sys_get_robust_list(t(), 4242, UserPtr<uint64_t>{kData}, UserPtr<size_t>{kData}),
               kESRCH);
  EXPECT_ERRNO(sys_get_robust_list(t(), 0, UserPtr<uint64_t>{kBad}, UserPtr<size_t>{kData}),
               kEFAULT);
}

}  // namespace
}  // namespace bulwark::syscalls
