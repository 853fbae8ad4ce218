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

TEST_F(SchedTest, SetScheduler) {
  auto param = UserPtr<sched_param>{kData};
  t().creds().cap_effective = 0;
  tg_->rlimits[RLIMIT_RTPRIO] = {0, 0};
  Write(kData, sched_param{0});
  ASSERT_TRUE(sys_sched_setscheduler(t(), 0, SCHED_BATCH, param));
  EXPECT_EQ(*sys_sched_getscheduler(t(), 0), SCHED_BATCH);
  ASSERT_TRUE(sys_sched_setparam(t(), 0, param));  // keeps the policy
  EXPECT_EQ(*sys_sched_getscheduler(t(), 0), SCHED_BATCH);
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, 1234, param), kEINVAL);
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, -1, param), kEINVAL);
  EXPECT_ERRNO(sys_sched_setscheduler(t(), -1, SCHED_OTHER, param), kEINVAL);
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 4242, SCHED_OTHER, param), kESRCH);
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, SCHED_OTHER, UserPtr<sched_param>{kBad}), kEFAULT);
  // Real-time policies need priority 1..99, others 0.
  Write(kData, sched_param{5});
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, SCHED_OTHER, param), kEINVAL);
  // Unprivileged with RLIMIT_RTPRIO 0: EPERM; with CAP_SYS_NICE it is recorded.
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, SCHED_FIFO, param), kEPERM);
  t().creds().cap_effective = uint64_t{1} << CAP_SYS_NICE;
  ASSERT_TRUE(sys_sched_setscheduler(t(), 0, SCHED_FIFO | SCHED_RESET_ON_FORK, param));
  EXPECT_EQ(*sys_sched_getscheduler(t(), 0), SCHED_FIFO | SCHED_RESET_ON_FORK);
  Write(kData, sched_param{0});
  ASSERT_TRUE(sys_sched_getparam(t(), 0, param));
  EXPECT_EQ(Read<sched_param>(kData).sched_priority, 5);
  Write(kData, sched_param{100});
  EXPECT_ERRNO(sys_sched_setparam(t(), 0, param), kEINVAL);
  auto ts = UserPtr<timespec>{kData};
  ASSERT_TRUE(sys_sched_rr_get_interval(t(), 0, ts));
  EXPECT_EQ(Read<timespec>(kData).tv_nsec, 0);  // SCHED_FIFO has no slice
  EXPECT_ERRNO(sys_sched_rr_get_interval(t(), -1, ts), kEINVAL);
  // A fork child falls back to SCHED_OTHER and loses the flag.
  auto child_tg = std::make_shared<kernel::ThreadGroup>(60);
  child_tg->nice = -5;
  kernel::Task child(*kernel_, 60, child_tg);
  InheritSchedState(t(), child);
  EXPECT_EQ(child.sched.policy, SCHED_OTHER);
  EXPECT_EQ(child.sched.priority, 0);
  EXPECT_FALSE(child.sched.reset_on_fork);
  EXPECT_EQ(child_tg->nice, 0);
  // Clearing SCHED_RESET_ON_FORK needs CAP_SYS_NICE.
  t().creds().cap_effective = 0;
  Write(kData, sched_param{0});
  EXPECT_ERRNO(sys_sched_setscheduler(t(), 0, SCHED_OTHER, param), kEPERM);
  ASSERT_TRUE(sys_sched_setscheduler(t(), 0, SCHED_OTHER | SCHED_RESET_ON_FORK, param));
  ASSERT_TRUE(sys_sched_rr_get_interval(t(), 0, ts));
  EXPECT_EQ(Read<timespec>(kData).tv_nsec, 100000000);
}

TEST_F(SchedTest, Attr) {
  auto attr = UserPtr<uint8_t>{kData};
  struct Attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
  };
  t().creds().cap_effective = uint64_t{1} << CAP_SYS_NICE;
  Write(kData, Attr{48, SCHED_RR, 0, 0, 10, 0, 0, 0, 0, 0});
  ASSERT_TRUE(sys_sched_setattr(t(), 0, attr, 0));
  EXPECT_EQ(*sys_sched_getscheduler(t(), 0), SCHED_RR);
  Write(kData, Attr{});
  ASSERT_TRUE(sys_sched_getattr(t(), 0, attr, 56, 0));
  Attr got = Read<Attr>(kData);
  EXPECT_EQ(got.size, 56u);
  EXPECT_EQ(got.policy, static_cast<uint32_t>(SCHED_RR));
  EXPECT_EQ(got.priority, 10u);
  EXPECT_ERRNO(sys_sched_getattr(t(), 0, attr, 40, 0), kEINVAL);
  EXPECT_ERRNO(sys_sched_getattr(t(), 0, attr, 56, 1), kEINVAL);
  // Too small: E2BIG, and the kernel's size is written back.
  Write(kData, Attr{40, SCHED_OTHER, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_ERRNO(sys_sched_setattr(t(), 0, attr, 0), kE2BIG);
  EXPECT_EQ(Read<uint32_t>(kData), 56u);
  Write(kData, Attr{48, SCHED_OTHER, 0, 3, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(sys_sched_setattr(t(), 0, attr, 0));
  EXPECT_EQ(tg_->nice, 3);
  Write(kData, Attr{48, 6 /* SCHED_DEADLINE */, 0, 0, 0, 1 << 20, 1 << 21, 1 << 22, 0, 0});
  EXPECT_ERRNO(sys_sched_setattr(t(), 0, attr, 0), kEINVAL);
  EXPECT_ERRNO(sys_sched_setattr(t(), 0, attr, 1), kEINVAL);
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
