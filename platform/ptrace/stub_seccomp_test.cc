// The stub's seccomp filter (stub_seccomp.h): application syscalls still
// reach the tracer under PTRACE_SYSEMU, while a host syscall made anywhere
// but the stub page's own instructions (or the wrong call there) kills the
// stub with SIGSYS.
#include "platform/ptrace/stub_seccomp.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fstream>
#include <string>

#include "platform/ptrace/ptrace_sys.h"
#include "platform/ptrace/ptrace_test_util.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

using Kind = Event::Kind;

std::string StatusField(pid_t pid, const std::string& field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      size_t v = line.find_first_not_of(" \t", field.size() + 1);
      return v == std::string::npos ? "" : line.substr(v);
    }
  }
  return "";
}

class StubSeccompTest : public PtraceTest {
 protected:
  // Stops the caller's stub thread in a syscall stop (after an application
  // getpid), then resumes it with PTRACE_CONT (the call now really runs on
  // the host) at `rip` with rax = `nr`; returns its wait status.
  int RunHostSyscall(uint64_t rip, uint64_t nr) {
    Registers regs = RegsAt(kGetpidLoop);
    EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
    pid_t tid = CallerStubTid(*as_);
    EXPECT_NE(tid, 0);
    user_regs_struct r{};
    EXPECT_TRUE(PtraceGetRegs(tid, r));
    r.rip = rip;
    r.rax = nr;
    r.orig_rax = ~0ull;
    EXPECT_TRUE(PtraceSetRegs(tid, r));
    EXPECT_TRUE(PtraceResume(PTRACE_CONT, tid));
    int status = 0;
    // SAFETY: waiting for our own tracee.
    EXPECT_EQ(waitpid(tid, &status, __WALL), tid);
    return status;
  }
};

TEST_F(StubSeccompTest, StubHasTheFilterAndNoCapabilities) {
  pid_t pid = StubPid(*as_);
  EXPECT_EQ(StatusField(pid, "Seccomp"), "2");
  EXPECT_EQ(StatusField(pid, "NoNewPrivs"), "1");
  EXPECT_EQ(StatusField(pid, "CapEff"), "0000000000000000");
  EXPECT_EQ(StatusField(pid, "CapPrm"), "0000000000000000");
  EXPECT_EQ(StatusField(pid, "CapInh"), "0000000000000000");
}

TEST_F(StubSeccompTest, ApplicationSyscallsStillReachTheTracer) {
  Registers regs = RegsAt(kGetpidThenExit);
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, static_cast<uint64_t>(SYS_getpid));
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, static_cast<uint64_t>(SYS_exit));
  // Injected calls at the injection point still work too.
  EXPECT_TRUE(as_->MapFile(kUnmappedAddr, 4096, 0x3000, PROT_READ | PROT_EXEC));
  EXPECT_TRUE(as_->Protect(kUnmappedAddr, 4096, PROT_READ | PROT_WRITE));
  EXPECT_TRUE(as_->Unmap(kUnmappedAddr, 4096));
}

TEST_F(StubSeccompTest, HostSyscallFromApplicationCodeKillsTheStub) {
  pid_t pid = StubPid(*as_);
  // kGetpidLoop's own `syscall`, run for real instead of under SYSEMU.
  int status = RunHostSyscall(kCodeAddr + kGetpidLoop.offset, SYS_getpid);
  ASSERT_TRUE(WIFSIGNALED(status)) << std::hex << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
  Registers regs = RegsAt(kSpin);
  EXPECT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kDied);
  (void)pid;
}

TEST_F(StubSeccompTest, WrongCallAtTheInjectionPointKillsTheStub) {
  auto page = GetStubPage();
  ASSERT_TRUE(page);
  int status = RunHostSyscall(page->syscall_addr, SYS_getpid);
  ASSERT_TRUE(WIFSIGNALED(status)) << std::hex << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST_F(StubSeccompTest, AllowedCallAtTheInjectionPointRuns) {
  auto page = GetStubPage();
  ASSERT_TRUE(page);
  // munmap(0, 0) at the injection point: allowed (EINVAL), then the int3.
  int status = RunHostSyscall(page->syscall_addr, SYS_munmap);
  ASSERT_TRUE(WIFSTOPPED(status)) << std::hex << status;
  EXPECT_EQ(WSTOPSIG(status), SIGTRAP);
}

TEST(StubSeccompFilter, ProgramAndDescription) {
  auto page = GetStubPage();
  ASSERT_TRUE(page);
  BpfProgram p = StubFilter(*page, seccomp::Mode::kEnforce);
  ASSERT_GT(p.insns.size(), 10u);
  EXPECT_LT(p.insns.size(), 200u);
  EXPECT_NE(p.pid_insn, 0u);
  EXPECT_EQ(p.insns.back().k, static_cast<uint32_t>(SECCOMP_RET_KILL_PROCESS));
  BpfProgram log = StubFilter(*page, seccomp::Mode::kLog);
  EXPECT_EQ(log.insns.back().k, static_cast<uint32_t>(SECCOMP_RET_LOG));
  EXPECT_EQ(StubFilterSyscalls(), 8u);  // munmap getpid kill mmap mprotect pause clone exit_group
  std::string d = DescribeFilters();
  EXPECT_NE(d.find("# stub: 8 host syscalls"), std::string::npos) << d;
  EXPECT_NE(d.find("PROT_EXEC only at ip == page+"), std::string::npos) << d;
  EXPECT_FALSE(ExecMappingFilter(*page, seccomp::Mode::kEnforce).insns.empty());
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing
