// FP state: lazily exchanged through Context::Get/SetFpState.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <cstring>
#include <thread>

#include "platform/ptrace/ptrace_test_util.h"

namespace bulwark::platform::ptrace_impl::testing {
namespace {

using Kind = Event::Kind;

constexpr size_t kXmmOffset = 160;  // XMM0 in the FXSAVE area

uint64_t XmmLow(const FpState& fp, int n) {
  uint64_t v;
  std::memcpy(&v, fp.bytes + kXmmOffset + 16 * n, sizeof(v));
  return v;
}

TEST_F(PtraceTest, FreshContextHasResetFpState) {
  FpState fp, fresh;
  fresh.Reset();
  ASSERT_TRUE(ctx_->GetFpState(fp));
  EXPECT_EQ(std::memcmp(fp.bytes, fresh.bytes, sizeof(fp.bytes)), 0);
}

TEST_F(PtraceTest, FpStateRoundTrip) {
  FpState fp;
  fp.Reset();
  uint64_t pattern = 0x0123456789abcdef;
  std::memcpy(fp.bytes + kXmmOffset, &pattern, sizeof(pattern));
  ASSERT_TRUE(ctx_->SetFpState(fp));
  Registers regs = RegsAt(kXmm);
  regs.regs.rax = 39;
  regs.regs.rsi = 0xfeedfacecafebeef;
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.rdi, pattern);  // the app saw xmm0
  FpState out;
  ASSERT_TRUE(ctx_->GetFpState(out));
  EXPECT_EQ(XmmLow(out, 0), pattern);
  EXPECT_EQ(XmmLow(out, 1), 0xfeedfacecafebeefu);  // the app wrote xmm1
}

TEST_F(PtraceTest, SetFpStateRejectsReservedMxcsrBits) {
  FpState fp;
  fp.Reset();
  uint32_t mxcsr = 0xffffffff;
  std::memcpy(fp.bytes + 24, &mxcsr, sizeof(mxcsr));
  EXPECT_EQ(ctx_->SetFpState(fp).error(), Errno::kEINVAL);
}

TEST_F(PtraceTest, FpStateFollowsTheContextIntoANewAddressSpace) {
  FpState fp;
  fp.Reset();
  uint64_t pattern = 0x1111222233334444;
  std::memcpy(fp.bytes + kXmmOffset, &pattern, sizeof(pattern));
  ASSERT_TRUE(ctx_->SetFpState(fp));
  Registers regs = RegsAt(kXmm);
  regs.regs.rax = 39;
  ASSERT_EQ(ctx_->Switch(*as_, regs).kind, Kind::kSyscall);
  auto as2 = platform_->NewAddressSpace();
  ASSERT_TRUE(as2.has_value());
  MapPages(**as2);
  regs = RegsAt(kXmm);
  regs.regs.rax = 39;
  ASSERT_EQ(ctx_->Switch(**as2, regs).kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.rdi, pattern);
}

// Expects the stub thread `tid` (traced by the caller, stopped) to hold the
// initial XSAVE state in xmm and ymm registers.
void ExpectCleanXstate(pid_t tid, bool avx) {
  std::vector<uint8_t> xsave(64 * 1024);
  iovec iov{xsave.data(), xsave.size()};
  // SAFETY: test-only read of the stub thread's XSAVE area (we trace it).
  ASSERT_EQ(ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov), 0);
  for (size_t i = 0; i < 16 * 16; i++) {
    ASSERT_EQ(xsave[kXmmOffset + i], 0) << "xmm byte " << i;
  }
  uint64_t xstate_bv;
  std::memcpy(&xstate_bv, xsave.data() + 512, sizeof(xstate_bv));
  EXPECT_EQ(xstate_bv & ~0x3ull, 0u) << std::hex << xstate_bv;
  if (avx && (xstate_bv & 0x4)) {
    for (size_t i = 0; i < 256; i++) ASSERT_EQ(xsave[576 + i], 0) << "ymm_hi byte " << i;
  }
}

// The stub must not start with the sentry thread's vector registers (the
// factory thread, when this test starts it, inherits them from this one),
// nor must threads spawned later.
TEST(PtraceFp, NewStubDoesNotInheritSentryRegisters) {
  UniqueFd memfd = MakeMemoryFile();
  auto platform = MakePlatform(memfd.get());
  ASSERT_NE(platform, nullptr);
  bool avx = __builtin_cpu_supports("avx");
  // All ones in xmm15 (and ymm15) right before the fork.
  if (avx) {
    asm volatile("vpcmpeqd %%ymm15, %%ymm15, %%ymm15" ::: "xmm15");
  } else {
    asm volatile("pcmpeqd %%xmm15, %%xmm15" ::: "xmm15");
  }
  auto as = platform->NewAddressSpace();
  ASSERT_TRUE(as.has_value());
  ASSERT_TRUE((*as)->MapFile(kCodeAddr, 4096, 0, PROT_READ | PROT_EXEC));  // claims a thread
  pid_t tid = CallerStubTid(**as);
  ASSERT_NE(tid, 0);
  ExpectCleanXstate(tid, avx);
  // A second sentry thread gets a newly spawned stub thread.
  std::thread other([&] {
    if (avx) {
      asm volatile("vpcmpeqd %%ymm15, %%ymm15, %%ymm15" ::: "xmm15");
    } else {
      asm volatile("pcmpeqd %%xmm15, %%xmm15" ::: "xmm15");
    }
    ASSERT_TRUE((*as)->MapFile(kDataAddr, 4096, 0x1000, PROT_READ | PROT_WRITE));
    pid_t spawned = CallerStubTid(**as);
    ASSERT_NE(spawned, 0);
    EXPECT_NE(spawned, tid);
    ExpectCleanXstate(spawned, avx);
  });
  other.join();
}

}  // namespace
}  // namespace bulwark::platform::ptrace_impl::testing
