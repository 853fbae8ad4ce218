// Kernel tests on platform/fake: the "application" is a script of register
// states, and the kernel runs for real (tasks, dispatch, signals, fork).
#include <gtest/gtest.h>
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

constexpr uint64_t kSaRestorer = 0x04000000;  // SA_RESTORER, not in glibc headers
constexpr uint64_t kStack = 0x10000000;
constexpr uint64_t kStackSize = 16 * 4096;
constexpr uint64_t kData = 0x20000000;

Event Syscall(Registers& r, uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
              uint64_t a3 = 0) {
  r.regs.orig_rax = nr;
  r.regs.rax = nr;
  r.regs.rdi = a0;
  r.regs.rsi = a1;
  r.regs.rdx = a2;
  r.regs.r10 = a3;
  r.regs.rip += 2;  // past the `syscall` instruction
  return Event{.kind = Event::Kind::kSyscall};
}

class KernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    platform_ = p.get();
    kernel_ = std::make_unique<Kernel>(KernelOptions{}, std::move(*mf), std::move(p));
  }

  // Starts init with a stack and a data page; `setup` may write memory.
  void StartInit(std::function<void(Task&)> setup = nullptr) {
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
    if (setup) setup(*t);
    kernel_->AddThreadGroup(tg);
    kernel_->SetInit(tg);
    kernel_->StartTask(std::move(t));
  }

  platform::FakePlatform* platform_ = nullptr;
  std::unique_ptr<Kernel> kernel_;
};

TEST_F(KernelTest, ExitGroupStatusReachesWaitForInit) {
  platform_->PushStep([](Registers& r, FpState&) { return Syscall(r, SYS_getpid); });
  platform_->PushStep([](Registers& r, FpState&) {
    EXPECT_EQ(r.regs.rax, 1u);  // init is pid 1
    return Syscall(r, SYS_exit_group, 3);
  });
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST_F(KernelTest, UnimplementedSyscallIsEnosys) {
  platform_->PushStep([](Registers& r, FpState&) { return Syscall(r, 449 /* futex_waitv */); });
  platform_->PushStep([](Registers& r, FpState&) {
    EXPECT_EQ(static_cast<int64_t>(r.regs.rax), -ENOSYS);
    return Syscall(r, SYS_exit_group, 0);
  });
  StartInit();
  EXPECT_EQ(kernel_->WaitForInit(), 0);
}

TEST_F(KernelTest, SignalHandlerFrameAndSigreturn) {
  constexpr uint64_t kHandler = 0x401000, kRestorer = 0x402000, kResume = 0x400100;
  StartInit([](Task& t) {
    KSigAction act{kHandler, kSaRestorer | SA_SIGINFO, kRestorer, 0};
    ASSERT_TRUE(t.CopyOutBytes(kData, &act, sizeof(act)).has_value());
  });
  platform_->PushStep([](Registers& r, FpState&) {
    return Syscall(r, SYS_rt_sigaction, SIGUSR1, kData, 0, 8);
  });
  uint64_t saved_rsp = 0;
  platform_->PushStep([&](Registers& r, FpState&) {
    EXPECT_EQ(r.regs.rax, 0u);
    r.regs.rip = kResume - 2;
    r.regs.rbx = 0x1234;
    saved_rsp = r.regs.rsp;
    return Syscall(r, SYS_kill, 1, SIGUSR1);
  });
  platform_->PushStep([&](Registers& r, FpState&) {
    // In the handler: args per SA_SIGINFO, stack as after a call.
    EXPECT_EQ(r.regs.rip, kHandler);
    EXPECT_EQ(r.regs.rdi, static_cast<uint64_t>(SIGUSR1));
    EXPECT_EQ((r.regs.rsp + 8) % 16, 0u);
    EXPECT_LT(r.regs.rsp, saved_rsp - 128);  // below the red zone
    r.regs.rbx = 0xdead;                     // clobbered by the handler
    r.regs.rsp += 8;                         // the restorer's `ret` popped pretcode
    r.regs.rip = kRestorer;
    return Syscall(r, SYS_rt_sigreturn);
  });
  platform_->PushStep([&](Registers& r, FpState&) {
    EXPECT_EQ(r.regs.rip, kResume);
    EXPECT_EQ(r.regs.rax, 0u);  // kill's return value
    EXPECT_EQ(r.regs.rbx, 0x1234u);
    EXPECT_EQ(r.regs.rsp, saved_rsp);
    return Syscall(r, SYS_exit_group, 0);
  });
  EXPECT_EQ(kernel_->WaitForInit(), 0);
}

TEST_F(KernelTest, InitIgnoresDefaultActionSignalsFromInside) {
  platform_->PushStep([](Registers& r, FpState&) { return Syscall(r, SYS_kill, 1, SIGTERM); });
  platform_->PushStep([](Registers& r, FpState&) {
    EXPECT_EQ(r.regs.rax, 0u);
    return Syscall(r, SYS_exit_group, 4);
  });
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status));  // not killed by SIGTERM
  EXPECT_EQ(WEXITSTATUS(status), 4);
}

// Both tasks run the same script; r15 is the script's program counter, so
// it does not matter which task takes which step from the shared queue.
Event ForkWaitProgram(Registers& r, FpState&) {
  switch (r.regs.r15) {
    case 0:
      r.regs.r15 = 1;
      return Syscall(r, SYS_fork);
    case 1:
      if (r.regs.rax == 0) {  // child
        r.regs.r15 = 9;
        return Syscall(r, SYS_exit_group, 5);
      }
      r.regs.r14 = r.regs.rax;
      r.regs.r15 = 2;
      return Syscall(r, SYS_wait4, static_cast<uint64_t>(-1), kData, 0, 0);
    case 2: {
      bool ok = r.regs.rax == r.regs.r14;
      r.regs.r15 = 3;
      return Syscall(r, SYS_exit_group, ok ? 0 : 1);
    }
    default:
      return Event{.kind = Event::Kind::kDied};
  }
}

TEST_F(KernelTest, ForkAndWait) {
  for (int i = 0; i < 5; ++i) platform_->PushStep(ForkWaitProgram);
  StartInit();
  int status = kernel_->WaitForInit();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace bulwark::kernel
