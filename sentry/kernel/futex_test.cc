// FutexTable and futex keys, without tasks: waiters are plain records.
#include "sentry/kernel/futex.h"

#include <gtest/gtest.h>

#include "platform/fake/fake_platform.h"
#include "sentry/mm/mm.h"

namespace bulwark::kernel {
namespace {

FutexKey Key(uint64_t addr) { return FutexKey{FutexKey::Kind::kPrivate, 1, addr}; }

TEST(FutexTable, WakeCountsAndFifo) {
  FutexTable table;
  FutexWaiter a{nullptr, Key(0x1000)}, b{nullptr, Key(0x1000)}, c{nullptr, Key(0x1000)};
  table.Enqueue(&a);
  table.Enqueue(&b);
  table.Enqueue(&c);
  EXPECT_EQ(table.Wake(Key(0x2000), 5), 0);
  EXPECT_EQ(table.Wake(Key(0x1000), 2), 2);
  EXPECT_TRUE(a.woken);
  EXPECT_TRUE(b.woken);
  EXPECT_FALSE(c.woken);
  EXPECT_EQ(table.Waiters(Key(0x1000)), 1u);
  EXPECT_TRUE(table.Dequeue(&c));
  EXPECT_FALSE(table.Dequeue(&c));
  EXPECT_EQ(table.Waiters(Key(0x1000)), 0u);
}

TEST(FutexTable, WakeZeroWakesOneAsLinux) {
  FutexTable table;
  FutexWaiter a{nullptr, Key(8)}, b{nullptr, Key(8)};
  table.Enqueue(&a);
  table.Enqueue(&b);
  EXPECT_EQ(table.Wake(Key(8), 0), 1);
}

TEST(FutexTable, BitsetSelectsWaiters) {
  FutexTable table;
  FutexWaiter a{nullptr, Key(8), 0x1}, b{nullptr, Key(8), 0x2};
  table.Enqueue(&a);
  table.Enqueue(&b);
  EXPECT_EQ(table.Wake(Key(8), 10, 0x2), 1);
  EXPECT_FALSE(a.woken);
  EXPECT_TRUE(b.woken);
}

TEST(FutexTable, RequeueWakesThenMoves) {
  FutexTable table;
  FutexWaiter w[4];
  for (auto& x : w) {
    x.key = Key(0x10);
    table.Enqueue(&x);
  }
  EXPECT_EQ(table.Requeue(Key(0x10), Key(0x20), 1, 2), 3);
  EXPECT_TRUE(w[0].woken);
  EXPECT_FALSE(w[1].woken);
  EXPECT_EQ(w[1].key, Key(0x20));
  EXPECT_EQ(w[2].key, Key(0x20));
  EXPECT_EQ(w[3].key, Key(0x10));
  EXPECT_EQ(table.Waiters(Key(0x10)), 1u);
  EXPECT_EQ(table.Waiters(Key(0x20)), 2u);
  // Requeued waiters are woken at their new key, in order.
  EXPECT_EQ(table.Wake(Key(0x20), 1), 1);
  EXPECT_TRUE(w[1].woken);
  EXPECT_FALSE(w[2].woken);
  // A waiter removed after a requeue is found under its new key.
  EXPECT_TRUE(table.Dequeue(&w[2]));
  EXPECT_TRUE(table.Dequeue(&w[3]));
}

TEST(FutexTable, RequeueZeroZeroDoesNothing) {
  FutexTable table;
  FutexWaiter a{nullptr, Key(4)};
  table.Enqueue(&a);
  EXPECT_EQ(table.Requeue(Key(4), Key(8), 0, 0), 0);
  EXPECT_EQ(table.Waiters(Key(4)), 1u);
  EXPECT_EQ(table.Requeue(Key(4), Key(4), 0, 1), 1);  // onto itself
  EXPECT_EQ(table.Waiters(Key(4)), 1u);
}

class FutexKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 30);
    ASSERT_TRUE(mf.has_value());
    mf_ = std::move(*mf);
  }
  std::unique_ptr<mm::MemoryFile> mf_;
  platform::FakePlatform platform_;
};

TEST_F(FutexKeyTest, PrivateSharedAndMmSharedKeys) {
  mm::MemoryManager a(*mf_, platform_);
  mm::MapRequest priv{.addr = 0x100000, .len = 4096, .prot = PROT_READ | PROT_WRITE, .fixed = true};
  mm::MapRequest shr = priv;
  shr.addr = 0x200000;
  shr.shared = true;
  ASSERT_TRUE(a.Map(priv).has_value());
  ASSERT_TRUE(a.Map(shr).has_value());
  auto b = a.Fork();  // shares the MAP_SHARED page, copies the private one

  EXPECT_EQ(GetFutexKey(a, 0x100002, false).error(), Errno::kEINVAL);
  // A private key needs no mapping; a shared one does.
  EXPECT_TRUE(GetFutexKey(a, 0x900000, false).has_value());
  EXPECT_EQ(GetFutexKey(a, 0x900000, true).error(), Errno::kEFAULT);

  FutexKey p = *GetFutexKey(a, 0x100004, false);
  FutexKey ps = *GetFutexKey(a, 0x100004, true);
  EXPECT_EQ(p.kind, FutexKey::Kind::kPrivate);
  EXPECT_EQ(ps.kind, FutexKey::Kind::kMmShared);
  EXPECT_NE(p, ps);  // FUTEX_WAKE_PRIVATE does not wake a shared wait
  EXPECT_NE(ps, *GetFutexKey(*b, 0x100004, true));  // private memory: per process

  FutexKey s = *GetFutexKey(a, 0x200008, true);
  EXPECT_EQ(s.kind, FutexKey::Kind::kShared);
  EXPECT_EQ(s, *GetFutexKey(*b, 0x200008, true));  // same page in both
  EXPECT_NE(s, *GetFutexKey(*b, 0x20000c, true));
}

}  // namespace
}  // namespace bulwark::kernel
