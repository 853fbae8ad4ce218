// Built as `fake_test` once CMakeLists.txt has
// bulwark_tests(fake_test platform/fake bulwark_platform_fake).
#include "platform/fake/fake_platform.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

namespace bulwark::platform {
namespace {

using Kind = Event::Kind;
using Op = FakeAddressSpace::Op;

TEST(FakePlatform, RegisteredAsFake) {
  auto p = Create("fake", -1);
  ASSERT_TRUE(p.has_value());
  EXPECT_STREQ((*p)->Name(), "fake");
}

TEST(FakePlatform, RecordsAddressSpaceCalls) {
  FakePlatform platform;
  auto as = platform.NewAddressSpace();
  ASSERT_TRUE(as.has_value());
  EXPECT_TRUE((*as)->MapFile(0x10000, 0x2000, 0x5000, PROT_READ));
  (*platform.address_spaces()[0]).FailNext(Errno::kENOMEM);
  EXPECT_EQ((*as)->Protect(0x10000, 0x1000, PROT_NONE).error(), Errno::kENOMEM);
  EXPECT_TRUE((*as)->Unmap(0x11000, 0x1000));
  std::vector<Op> want = {{Op::Kind::kMapFile, 0x10000, 0x2000, 0x5000, PROT_READ},
                          {Op::Kind::kProtect, 0x10000, 0x1000, 0, PROT_NONE},
                          {Op::Kind::kUnmap, 0x11000, 0x1000, 0, 0}};
  EXPECT_EQ(platform.address_spaces()[0]->ops(), want);
}

TEST(FakePlatform, ScriptedSyscall) {
  FakePlatform platform;
  auto as = platform.NewAddressSpace();
  auto ctx = platform.NewContext();
  platform.PushStep([](Registers& r, FpState&) {
    r.regs.orig_rax = 39;
    return Event{.kind = Kind::kSyscall};
  });
  uint64_t seen = 0;
  platform.PushStep([&](Registers& r, FpState&) {
    seen = r.regs.rax;
    return Event{.kind = Kind::kSyscall};
  });
  Registers regs;
  ASSERT_EQ(ctx->Switch(**as, regs).kind, Kind::kSyscall);
  EXPECT_EQ(regs.regs.orig_rax, 39u);
  regs.regs.rax = 42;  // the kernel's answer
  ASSERT_EQ(ctx->Switch(**as, regs).kind, Kind::kSyscall);
  EXPECT_EQ(seen, 42u);
  EXPECT_EQ(ctx->Switch(**as, regs).kind, Kind::kDied);  // script exhausted
}

TEST(FakePlatform, ContextStepsFirstInterruptsAndFp) {
  FakePlatform platform;
  auto as = platform.NewAddressSpace();
  auto ctx = platform.NewContext();
  FakeContext* fake = platform.contexts()[0];
  platform.PushStep([](Registers&, FpState&) { return Event{.kind = Kind::kSignal}; });
  fake->PushStep([](Registers&, FpState& fp) {
    fp.bytes[160] = 0xaa;
    return Event{.kind = Kind::kFault, .fault_addr = 0x1234};
  });
  ctx->Interrupt();
  Registers regs;
  EXPECT_EQ(ctx->Switch(**as, regs).kind, Kind::kInterrupted);
  Event ev = ctx->Switch(**as, regs);
  EXPECT_EQ(ev.kind, Kind::kFault);
  EXPECT_EQ(ev.fault_addr, 0x1234u);
  FpState fp;
  ASSERT_TRUE(ctx->GetFpState(fp));
  EXPECT_EQ(fp.bytes[160], 0xaa);
  EXPECT_EQ(ctx->Switch(**as, regs).kind, Kind::kSignal);
  EXPECT_EQ(fake->switches(), 3);
  EXPECT_EQ(fake->interrupts(), 1);
  EXPECT_EQ(fake->last_address_space(), as->get());
}

}  // namespace
}  // namespace bulwark::platform
