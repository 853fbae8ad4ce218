// Threads on the fake platform: clone(CLONE_THREAD), futex wake on
// clear_child_tid, exit of one thread vs. the group.
//
// Every task runs the same script function; r15 is the script's program
// counter (copied to the child at clone, which then sees rax == 0), so it
// does not matter which task's context pops which step.
#include <gtest/gtest.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "platform/fake/fake_platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace bulwark::kernel {
namespace {

using platform::Event;
using platform::FpState;
using platform::Registers;

constexpr uint64_t kStack = 0x10000000;
constexpr uint64_t kStackSize = 16 * 4096;
constexpr uint64_t kData = 0x20000000;
constexpr uint64_t kThreadFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                  CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                  CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

Event Syscall(Registers& r, uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
              uint64_t a3 = 0, uint64_t a4 = 0) {
  r.regs.orig_rax = nr;
  r.regs.rax = nr;
  r.regs.rdi = a0;
  r.regs.rsi = a1;
  r.regs.rdx = a2;
  r.regs.r10 = a3;
  r.regs.r8 = a4;
  r.regs.rip += 2;
  return Event{.kind = Event::Kind::kSyscall};
}

Event CloneThread(Registers& r) {
  return Syscall(r, SYS_clone, kThreadFlags, kStack + kStackSize / 2, kData + 8, kData, 0x1234);
}

int64_t Ret(const Registers& r) { return static_cast<int64_t>(r.regs.rax); }

class ThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    platform_ = p.get();
    kernel_ = std::make_unique<Kernel>(KernelOptions{}, std::move(*mf), std::move(p));
  }

  void StartInit() {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    pid_t pid = kernel_->AllocPid();
    auto tg = std::make_shared<ThreadGroup>(pid);
    auto t = std::make_unique<Task>(*kernel_, pid, tg);
    t->mm_ = std::make_shared<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
    t->fds_ = std::make_shared<FdTable>();
    t->fs_ = std::make_shared<FsContext>();
    for (uint64_t addr : {kStack, kData}) {
      mm::MapRequest r;
      r.addr = addr;
      r.len = kStackSize;
      r.prot = PROT_READ | PROT_WRITE;
      r.fixed = true;
      ASSERT_TRUE(t->mm().Map(r).has_value());
    }
    t->regs().regs.rsp = kStack + kStackSize - 64;
    t->regs().regs.rip = 0x400000;
    kernel_->AddThreadGroup(tg);
    kernel_->SetInit(tg);
    kernel_->StartTask(std::move(t));
  }

  // Reads a word of init's memory from a step (steps run unlocked).
  uint32_t ReadInit(uint64_t addr) {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    uint32_t v = 0xffffffff;
    auto tg = kernel_->ThreadGroupByPid(1);
    if (tg && !tg->tasks.empty()) (void)tg->tasks.front()->CopyInBytes(addr, &v, sizeof(v));
    return v;
  }

  void Push(int n, platform::FakeStep step) {
    for (int i = 0; i < n; ++i) platform_->PushStep(step);
  }

  platform::FakePlatform* platform_ = nullptr;
  std::unique_ptr<Kernel> kernel_;
};

TEST_F(ThreadTest, JoinThroughClearChildTid) {
  // main: clone; futex_wait(ctid, tid) until the child's exit clears it;
  // then the word must be 0 (a second wait fails with EAGAIN).
  auto program = [this](Registers& r, FpState&) -> Event {
    switch (r.regs.r15) {
      case 0:
        r.regs.r15 = 1;
        return CloneThread(r);
      case 1:
        if (Ret(r) == 0) {
          bool ok = r.regs.fs_base == 0x1234 && r.regs.rsp == kStack + kStackSize / 2;
          r.regs.r13 = ok;
          r.regs.r15 = 10;
          return Syscall(r, SYS_gettid);
        }
        r.regs.r14 = r.regs.rax;
        r.regs.r12 = ReadInit(kData + 8) == r.regs.r14;  // CLONE_PARENT_SETTID
        r.regs.r15 = 2;
        return Syscall(r, SYS_futex, kData, FUTEX_WAIT, r.regs.r14);
      case 2:
        r.regs.r12 &= Ret(r) == 0 || Ret(r) == -EAGAIN;
        r.regs.r15 = 3;
        return Syscall(r, SYS_futex, kData, FUTEX_WAIT, r.regs.r14);
      case 3:
        r.regs.r12 &= Ret(r) == -EAGAIN && ReadInit(kData) == 0;
        r.regs.r15 = 4;
        return Syscall(r, SYS_exit_group, r.regs.r12 ? 0 : 1);
      case 10:
        // The child's tid is its own, and getpid is the group's.
        r.regs.r15 = 11;
        r.regs.r14 = r.regs.rax;
        return Syscall(r, SYS_getpid);
      case 11:
        r.regs.r15 = 12;
        // A failing child ends the whole test with status 2.
        if (!(r.regs.r13 && Ret(r) == 1 && r.regs.r14 != 1)) return Syscall(r, SYS_exit_group, 2);
        return Syscall(r, SYS_exit, 0);
      default:
        return Event{.kind = Event::Kind::kDied};
    }
  };
  Push(4 + 3, program);
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ThreadTest, ExitGroupFromThreadKillsBlockedMainThread) {
  auto program = [](Registers& r, FpState&) -> Event {
    switch (r.regs.r15) {
      case 0:
        r.regs.r15 = 1;
        return CloneThread(r);
      case 1:
        r.regs.r15 = 2;
        if (Ret(r) == 0) return Syscall(r, SYS_exit_group, 7);
        // Blocks until the group exits (no timeout, nobody wakes it).
        return Syscall(r, SYS_futex, kData + 16, FUTEX_WAIT_PRIVATE, 0);
      default:
        ADD_FAILURE() << "a task ran after exit_group";
        return Event{.kind = Event::Kind::kDied};
    }
  };
  Push(3, program);
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST_F(ThreadTest, LeaderExitKeepsProcessUntilLastThread) {
  auto program = [](Registers& r, FpState&) -> Event {
    switch (r.regs.r15) {
      case 0:
        r.regs.r15 = 1;
        return CloneThread(r);
      case 1:
        if (Ret(r) != 0) {
          r.regs.r15 = 9;
          return Syscall(r, SYS_exit, 0);  // the leader leaves first
        }
        r.regs.r15 = 2;
        // Give the leader time to exit, then check the group lives on.
        usleep(20000);
        return Syscall(r, SYS_getpid);
      case 2:
        r.regs.r15 = 3;
        return Syscall(r, SYS_exit, Ret(r) == 1 ? 3 : 4);  // last thread: process status
      default:
        ADD_FAILURE() << "unexpected step " << r.regs.r15;
        return Event{.kind = Event::Kind::kDied};
    }
  };
  Push(4, program);
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST_F(ThreadTest, InvalidCloneFlagCombinations) {
  auto program = [](Registers& r, FpState&) -> Event {
    switch (r.regs.r15) {
      case 0:
        r.regs.r15 = 1;
        return Syscall(r, SYS_clone, CLONE_THREAD | CLONE_VM);  // THREAD without SIGHAND
      case 1:
        r.regs.r12 = Ret(r) == -EINVAL;
        r.regs.r15 = 2;
        return Syscall(r, SYS_clone, CLONE_SIGHAND);  // SIGHAND without VM
      case 2:
        r.regs.r12 &= Ret(r) == -EINVAL;
        r.regs.r15 = 3;
        return Syscall(r, SYS_clone, CLONE_FS | CLONE_NEWNS);
      case 3:
        r.regs.r12 &= Ret(r) == -EINVAL;
        r.regs.r15 = 4;
        return Syscall(r, SYS_clone, CLONE_PARENT);  // init may not make siblings
      case 4:
        r.regs.r12 &= Ret(r) == -EINVAL;
        r.regs.r15 = 5;
        return Syscall(r, SYS_exit_group, r.regs.r12 ? 0 : 1);
      default:
        return Event{.kind = Event::Kind::kDied};
    }
  };
  Push(5, program);
  StartInit();
  EXPECT_EQ(kernel_->WaitForInit(), 0);
}

}  // namespace
}  // namespace bulwark::kernel
