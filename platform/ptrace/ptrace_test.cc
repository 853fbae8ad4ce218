#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "platform/ptrace/ptrace_test_util.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

using Kind = Event::Kind;

bool Reaped(pid_t pid) {
  int status;
  return waitpid(pid, &status, WNOHANG | __WALL) == -1 && errno == ECHILD;
}

TEST(PtracePlatform, Registered) {
  UniqueFd memfd = MakeMemoryFile();
  auto p = MakePlatform(memfd.get());
  ASSERT_NE(p, nullptr);
  EXPECT_STREQ(p->Name(), "ptrace");
  EXPECT_EQ(p->Caps().max_user_address, 0x7ff000000000u);
  EXPECT_EQ(p->Caps().min_user_address, 0x10000u);
}

TEST(PtraceStubPage, FindStubAddress) {
  constexpr uint64_t kMax = 0x7ff000000000, kTop = 0x7ffffffff000;
  EXPECT_EQ(FindStubAddress({}), kMax);
  EXPECT_EQ(FindStubAddress({{0x10000, 0x20000}, {kMax + 0x1000, kMax + 0x2000}}), kMax);
  // A big mapping across kMaxUserAddress, then libraries, then the stack.
  EXPECT_EQ(FindStubAddress({{0x6ff700000000, 0x7ff700000000},
                             {0x7ff700000000, 0x7ff700100000},
                             {0x7ff700100000, 0x7ff700200000},
                             {0x7ffc00000000, 0x7ffc00021000}}),
            0x7ff700200000u);
  EXPECT_EQ(FindStubAddress({{kMax - 0x1000, kTop}}), 0u);
  EXPECT_EQ(FindStubAddress({{kMax, kTop - 0x1000}}), kTop - 0x1000);
}

// In a fresh process (threadsafe death tests re-execute the binary), with
// the first candidate addresses taken, the stub page goes elsewhere.
TEST(PtraceStubPageDeathTest, FallsBackWhenHintsAreTaken) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto body = [] {
    uint64_t first = 0x7ff000000000;
    for (uint64_t i = 0; i < 4; i++) {
      // SAFETY: test-only placeholder mappings that never replace anything.
      void* want = reinterpret_cast<void*>(first + i * (16ull << 20));
      if (mmap(want, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
               0) != want) {
        _exit(2);
      }
    }
    auto page = GetStubPage();
    if (!page || page->addr < first + 4096 || page->addr >= 0x7ffffffff000) _exit(3);
    UniqueFd memfd = MakeMemoryFile();
    auto platform = MakePlatform(memfd.get());
    auto as = platform->NewAddressSpace();
    if (!as || !(*as)->MapFile(kCodeAddr, 4096, 0, PROT_READ | PROT_EXEC)) _exit(4);
    Registers regs = RegsAt(kGetpidLoop);
    _exit(platform->NewContext()->Switch(**as, regs).kind == Kind::kSyscall ? 0 : 5);
  };
  EXPECT_EXIT(body(), ::testing::ExitedWithCode(0), "");
}

TEST_F(PtraceTest, SyscallThenExit) {
  Registers regs = RegsAt(kGetpidThenExit);
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, 39u);
  EXPECT_EQ(regs.regs.rip, kCodeAddr + kGetpidThenExit.offset + 7);  // after `syscall`
  regs.regs.rax = 1234;
  ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, 60u);
  EXPECT_EQ(regs.regs.rdi, 1234u);
}

TEST_F(PtraceTest, WriteToUnmappedAddressFaults) {
  Registers regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kUnmappedAddr + 0x10;
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.fault_addr, kUnmappedAddr + 0x10);
  EXPECT_EQ(ev.info.si_signo, SIGSEGV);
  EXPECT_EQ(ev.info.si_code, SEGV_MAPERR);
  EXPECT_EQ(regs.regs.rip, kCodeAddr + kStoreThenSyscall.offset);  // at the faulting insn
  // The signal was suppressed: the stub is alive and runs on.
  regs.regs.rbx = kDataAddr;
  ev = ctx_->Switch(*as_, regs);
  EXPECT_EQ(ev.kind, Kind::kSyscall);
}

TEST_F(PtraceTest, WriteToReadOnlyPageFaults) {
  Registers regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kRoAddr + 8;
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.fault_addr, kRoAddr + 8);
  EXPECT_EQ(ev.info.si_code, SEGV_ACCERR);
}

TEST_F(PtraceTest, Ud2IsSigill) {
  Registers regs = RegsAt(kUd2);
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSignal);
  EXPECT_EQ(ev.info.si_signo, SIGILL);
  EXPECT_EQ(ev.info.si_code, ILL_ILLOPN);
}

TEST_F(PtraceTest, Int3IsSigtrap) {
  Registers regs = RegsAt(kInt3);
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSignal);
  EXPECT_EQ(ev.info.si_signo, SIGTRAP);
}

TEST_F(PtraceTest, InterruptStopsSpinningCode) {
  Registers regs = RegsAt(kSpin);
  std::thread kicker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ctx_->Interrupt();
  });
  Event ev = ctx_->Switch(*as_, regs);
  kicker.join();
  ASSERT_EQ(ev.kind, Kind::kInterrupted);
  EXPECT_EQ(regs.regs.rip, kCodeAddr + kSpin.offset);
  // Not sticky.
  regs = RegsAt(kGetpidLoop);
  ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, 39u);
}

TEST_F(PtraceTest, InterruptBeforeSwitchIsPending) {
  ctx_->Interrupt();
  Registers regs = RegsAt(kGetpidLoop);
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kInterrupted);
  EXPECT_EQ(regs.regs.rip, kCodeAddr + kGetpidLoop.offset);  // did not run
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
}

TEST_F(PtraceTest, InterruptStormLosesNothing) {
  std::atomic<bool> stop{false};
  std::thread kicker([&] {
    while (!stop) {
      ctx_->Interrupt();
      std::this_thread::sleep_for(std::chrono::microseconds(30));
    }
  });
  Registers regs = RegsAt(kGetpidLoop);
  int syscalls = 0, interrupts = 0;
  while (syscalls < 3000) {
    Event ev = ctx_->Switch(*as_, regs);
    ASSERT_TRUE(ev.kind == Kind::kSyscall || ev.kind == Kind::kInterrupted)
        << static_cast<int>(ev.kind);
    if (ev.kind == Kind::kSyscall) {
      ASSERT_EQ(regs.regs.orig_rax, 39u);
      regs.regs.rax = 7;
      syscalls++;
    } else {
      interrupts++;
    }
  }
  stop = true;
  kicker.join();
  EXPECT_GT(interrupts, 0);
  // At most one interruption is still owed; after it, no stale one remains.
  Event ev = ctx_->Switch(*as_, regs);
  if (ev.kind == Kind::kInterrupted) ev = ctx_->Switch(*as_, regs);
  EXPECT_EQ(ev.kind, Kind::kSyscall);
  // A spinning app is not woken by a stale signal either.
  regs = RegsAt(kSpin);
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ctx_->Interrupt();
  });
  auto start = std::chrono::steady_clock::now();
  ev = ctx_->Switch(*as_, regs);
  late.join();
  EXPECT_EQ(ev.kind, Kind::kInterrupted);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(25));
}

TEST_F(PtraceTest, UnmapThenAccessFaults) {
  Registers regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kDataAddr + 16;
  regs.regs.rax = 0xfeedbeef;
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  // The store went to the memory file (MAP_SHARED at offset 0x1000).
  uint32_t stored = 0;
  ASSERT_EQ(pread(memfd_.get(), &stored, 4, 0x1000 + 16), 4);
  EXPECT_EQ(stored, 0xfeedbeefu);

  ASSERT_TRUE(as_->Unmap(kDataAddr, 4096));
  regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kDataAddr + 16;
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.fault_addr, kDataAddr + 16);
  EXPECT_EQ(ev.info.si_code, SEGV_MAPERR);
}

TEST_F(PtraceTest, ProtectReadOnlyThenWriteFaults) {
  ASSERT_TRUE(as_->Protect(kDataAddr, 4096, PROT_READ));
  Registers regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kDataAddr;
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.fault_addr, kDataAddr);
  EXPECT_EQ(ev.info.si_code, SEGV_ACCERR);
  // And back.
  ASSERT_TRUE(as_->Protect(kDataAddr, 4096, PROT_READ | PROT_WRITE));
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
}

TEST_F(PtraceTest, AddressSpaceErrors) {
  // The stub page above max_user_address is off limits.
  EXPECT_EQ(as_->MapFile(0x7ff000000000, 4096, 0, PROT_READ).error(), Errno::kEINVAL);
  EXPECT_EQ(as_->Unmap(0x7fefffffe000, 0x4000).error(), Errno::kEINVAL);
  EXPECT_EQ(as_->MapFile(kDataAddr + 1, 4096, 0, PROT_READ).error(), Errno::kEINVAL);
  // Host errors come back as they are: mprotect of an unmapped range.
  EXPECT_EQ(as_->Protect(kUnmappedAddr, 4096, PROT_READ).error(), Errno::kENOMEM);
  // Mapping beyond the end of the file works (SIGBUS on access).
  EXPECT_TRUE(as_->MapFile(kUnmappedAddr, 4096, kFileSize, PROT_READ | PROT_WRITE));
  Registers regs = RegsAt(kStoreThenSyscall);
  regs.regs.rbx = kUnmappedAddr;
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.info.si_signo, SIGBUS);
  EXPECT_EQ(ev.fault_addr, kUnmappedAddr);
}

TEST_F(PtraceTest, BadRegistersAreSigsegv) {
  Registers regs = RegsAt(kGetpidLoop);
  regs.regs.fs_base = 0xffff800000000000;  // not a user address
  Event ev = ctx_->Switch(*as_, regs);
  ASSERT_EQ(ev.kind, Kind::kSignal);
  EXPECT_EQ(ev.info.si_signo, SIGSEGV);
  regs = RegsAt(kGetpidLoop);
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
}

TEST_F(PtraceTest, KilledStubWhileStoppedDies) {
  pid_t pid = StubPid(*as_);
  Registers regs = RegsAt(kGetpidLoop);
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kDied);
  EXPECT_TRUE(Reaped(pid));
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kDied);
  EXPECT_EQ(as_->MapFile(kCodeAddr, 4096, 0, PROT_READ).error(), Errno::kESRCH);
  as_.reset();  // must not signal the reaped pid
}

TEST_F(PtraceTest, KilledStubWhileRunningDies) {
  pid_t pid = StubPid(*as_);
  Registers regs = RegsAt(kSpin);
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    kill(pid, SIGKILL);
  });
  Event ev = ctx_->Switch(*as_, regs);
  killer.join();
  EXPECT_EQ(ev.kind, Kind::kDied);
  EXPECT_TRUE(Reaped(pid));
}

TEST_F(PtraceTest, KilledStubDuringMapFile) {
  pid_t pid = StubPid(*as_);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  EXPECT_EQ(as_->Unmap(kDataAddr, 4096).error(), Errno::kESRCH);
  EXPECT_TRUE(Reaped(pid));
}

TEST_F(PtraceTest, DestroyLeavesNoStub) {
  pid_t pid = StubPid(*as_);
  EXPECT_EQ(kill(pid, 0), 0);
  as_.reset();
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(Reaped(pid));
}

TEST_F(PtraceTest, StubHoldsOnlyTheMemoryFileAndTheStubPage) {
  pid_t pid = StubPid(*as_);
  std::string fds = "/proc/" + std::to_string(pid) + "/fd";
  std::vector<std::string> names;
  for (int fd = 0; fd < 64; fd++) {
    char buf[256];
    ssize_t n = readlink((fds + "/" + std::to_string(fd)).c_str(), buf, sizeof(buf) - 1);
    if (n > 0) names.push_back(std::to_string(fd) + " " + std::string(buf, n));
  }
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].rfind("3 /memfd:ptrace_test", 0), 0u) << names[0];
  FILE* maps = fopen(("/proc/" + std::to_string(pid) + "/maps").c_str(), "r");
  ASSERT_NE(maps, nullptr);
  char line[512];
  int above = 0, below = 0;
  while (fgets(line, sizeof(line), maps)) {
    uint64_t start = strtoull(line, nullptr, 16);
    if (start >= 0x800000000000) continue;  // [vsyscall]
    (start >= 0x7ff000000000 ? above : below)++;
  }
  fclose(maps);
  // The stub page and the vDSO's mappings (vdso_test.cc).
  EXPECT_EQ(above, 1 + static_cast<int>(platform_->Caps().special_mappings.size()));
  EXPECT_EQ(below, 3);  // our three pages
}

TEST(PtraceThreads, TwoAddressSpacesOnTwoThreads) {
  UniqueFd memfd = MakeMemoryFile();
  auto platform = MakePlatform(memfd.get());
  ASSERT_NE(platform, nullptr);
  std::atomic<int> ok{0};
  auto worker = [&](uint64_t seed) {
    auto as = platform->NewAddressSpace();
    ASSERT_TRUE(as.has_value());
    MapPages(**as);
    auto ctx = platform->NewContext();
    for (uint64_t i = 0; i < 2000; i++) {
      Registers regs = RegsAt(kGetpidThenExit);
      ASSERT_EQ(ctx->Switch(**as, regs).kind, Kind::kSyscall);
      regs.regs.rax = seed + i;
      ASSERT_EQ(ctx->Switch(**as, regs).kind, Kind::kSyscall);
      ASSERT_EQ(regs.regs.rdi, seed + i);
    }
    ok++;
  };
  std::thread a(worker, 1000000), b(worker, 2000000);
  a.join();
  b.join();
  EXPECT_EQ(ok, 2);
  ExpectNoChildrenSoon();
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing
