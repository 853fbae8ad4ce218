#include "platform/ptrace/vdso.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "platform/ptrace/ptrace_test_util.h"
#include "platform/ptrace/stub.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

using Kind = Event::Kind;

TEST(PtraceVdsoPlan, Linux618Layout) {
  std::vector<MapsLine> lines = {
      {0x7f0000000000, 0x7f0000001000, PROT_READ, "/usr/lib/ld.so"},
      {0x7f0000010000, 0x7f0000014000, PROT_READ, "[vvar]"},
      {0x7f0000014000, 0x7f0000016000, PROT_READ, "[vvar_vclock]"},
      {0x7f0000016000, 0x7f0000018000, PROT_READ | PROT_EXEC, "[vdso]"},
      {0x7ffc00000000, 0x7ffc00021000, PROT_READ | PROT_WRITE, "[stack]"},
  };
  StubVdso v = PlaceVdso(PlanVdso(lines), 0x7ff000001000);
  ASSERT_EQ(v.count, 3);
  EXPECT_EQ(v.len, 0x8000u);
  EXPECT_EQ(v.ehdr, 0x7ff000007000u);
  EXPECT_STREQ(v.parts[0].name, "[vvar]");
  EXPECT_EQ(v.parts[0].start, 0x7ff000001000u);
  EXPECT_EQ(v.parts[1].start, 0x7ff000005000u);
  EXPECT_EQ(v.parts[2].start, 0x7ff000007000u);
  EXPECT_EQ(v.parts[2].end, 0x7ff000009000u);
  EXPECT_EQ(v.parts[2].prot, PROT_READ | PROT_EXEC);
  EXPECT_EQ(v.sentry_start[0], 0x7f0000010000u);
  EXPECT_EQ(v.sentry_start[2], 0x7f0000016000u);
}

TEST(PtraceVdsoPlan, OlderLayoutAndRefusals) {
  StubVdso v = PlanVdso({{0x1000, 0x5000, PROT_READ, "[vvar]"},
                         {0x5000, 0x7000, PROT_READ | PROT_EXEC, "[vdso]"}});
  EXPECT_EQ(v.count, 2);
  EXPECT_EQ(v.ehdr, 0x4000u);
  // No vDSO at all.
  EXPECT_EQ(PlanVdso({{0x1000, 0x5000, PROT_READ, "[heap]"}}).count, 0);
  // Data pages apart from the code: moving the code alone would break it.
  EXPECT_EQ(PlanVdso({{0x1000, 0x5000, PROT_READ, "[vvar]"},
                      {0x6000, 0x8000, PROT_READ | PROT_EXEC, "[vdso]"}})
                .count,
            0);
}

// The host's own vDSO symbol `name` as an offset from its ELF header (the
// same image the stubs map).
uint64_t VdsoOffset(const char* name) {
  void* h = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) return 0;
  void* sym = dlsym(h, name);
  if (sym == nullptr) return 0;
  return reinterpret_cast<uint64_t>(sym) - getauxval(AT_SYSINFO_EHDR);
}

TEST_F(PtraceTest, VdsoMappedAboveTheStubPage) {
  Capabilities caps = platform_->Caps();
  ASSERT_NE(caps.vdso_base, 0u) << "host without a vDSO, or BULWARK_VDSO=0";
  auto page = GetStubPage();
  ASSERT_TRUE(page.has_value());
  ASSERT_FALSE(caps.special_mappings.empty());
  EXPECT_EQ(caps.special_mappings.front().start, page->addr + 4096);
  EXPECT_EQ(caps.special_mappings.back().start, caps.vdso_base);
  EXPECT_STREQ(caps.special_mappings.back().name, "[vdso]");
  // The stub's own maps agree (names come from the host kernel).
  FILE* maps = fopen(("/proc/" + std::to_string(StubPid(*as_)) + "/maps").c_str(), "r");
  ASSERT_NE(maps, nullptr);
  char line[512];
  size_t found = 0;
  while (fgets(line, sizeof(line), maps)) {
    uint64_t start = 0, end = 0;
    char name[64] = {};
    sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &start, &end, name);
    for (const SpecialMapping& m : caps.special_mappings) {
      if (m.start == start && m.end == end && std::string(name) == m.name) found++;
    }
  }
  fclose(maps);
  EXPECT_EQ(found, caps.special_mappings.size());
}

// Calls the vDSO's clock_gettime(clock, kDataAddr) in the stub, returning
// to the int3 snippet; returns the event and leaves the registers in regs.
Event CallVdsoClock(Context& ctx, AddressSpace& as, int memfd, uint64_t vdso_base,
                    clockid_t clock, Registers& regs) {
  uint64_t fn = VdsoOffset("__vdso_clock_gettime");
  EXPECT_NE(fn, 0u);
  regs = RegsAt(kInt3);
  // As after a `call`: rsp + 8 is 16-byte aligned, the return address at rsp.
  regs.regs.rsp = kDataAddr + 4096 - 72;
  uint64_t ret = kCodeAddr + kInt3.offset;
  EXPECT_EQ(pwrite(memfd, &ret, sizeof(ret), 0x1000 + 4096 - 72), 8);
  regs.regs.rip = vdso_base + fn;
  regs.regs.rdi = static_cast<uint64_t>(clock);
  regs.regs.rsi = kDataAddr;
  return ctx.Switch(as, regs);
}

TEST_F(PtraceTest, VdsoClockRunsInTheStubWithoutASyscall) {
  uint64_t base = platform_->Caps().vdso_base;
  ASSERT_NE(base, 0u);
  timespec before, after, got{};
  clock_gettime(CLOCK_MONOTONIC, &before);
  Registers regs;
  Event ev = CallVdsoClock(*ctx_, *as_, memfd_.get(), base, CLOCK_MONOTONIC, regs);
  clock_gettime(CLOCK_MONOTONIC, &after);
  // Back at the int3 with no syscall stop on the way (a TSC clocksource;
  // another one would make the vDSO fall back to the syscall).
  ASSERT_EQ(ev.kind, Kind::kSignal) << "event " << static_cast<int>(ev.kind) << " orig_rax "
                                    << regs.regs.orig_rax;
  EXPECT_EQ(ev.info.si_signo, SIGTRAP);
  EXPECT_EQ(regs.regs.rax, 0u);
  ASSERT_EQ(pread(memfd_.get(), &got, sizeof(got), 0x1000), static_cast<ssize_t>(sizeof(got)));
  auto ns = [](const timespec& t) { return t.tv_sec * 1000000000ll + t.tv_nsec; };
  EXPECT_GE(ns(got), ns(before));
  EXPECT_LE(ns(got), ns(after));
}

TEST_F(PtraceTest, VdsoCpuClockFallsBackToATracedSyscall) {
  uint64_t base = platform_->Caps().vdso_base;
  ASSERT_NE(base, 0u);
  Registers regs;
  // The vDSO does not serve CPU-time clocks: it executes `syscall`, which
  // SYSEMU reports (the stub's seccomp filter never sees it).
  Event ev = CallVdsoClock(*ctx_, *as_, memfd_.get(), base, CLOCK_PROCESS_CPUTIME_ID, regs);
  ASSERT_EQ(ev.kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, static_cast<uint64_t>(SYS_clock_gettime));
  EXPECT_EQ(regs.regs.rdi, static_cast<uint64_t>(CLOCK_PROCESS_CPUTIME_ID));
  EXPECT_EQ(regs.regs.rsi, kDataAddr);
  EXPECT_GE(regs.regs.rip, base);  // from inside the vDSO
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing
