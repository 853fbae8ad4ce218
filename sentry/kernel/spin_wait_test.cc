#include "sentry/kernel/spin_wait.h"

#include <thread>

#include <gtest/gtest.h>

#include "sentry/kernel/rusage.h"

namespace bulwark::kernel {
namespace {

TEST(SpinWaitTest, SpinSeesAChangeMadeByAnotherThread) {
  std::atomic<uint32_t> word{7};
  std::atomic<bool> spinning{false};
  std::thread other([&] {
    while (!spinning.load()) std::this_thread::yield();
    word.store(8);
  });
  spinning.store(true);
  // No practical deadline: the test only ends once the change is seen.
  EXPECT_TRUE(SpinUntilChanged(word, 7, INT64_MAX));
  other.join();
}

TEST(SpinWaitTest, SpinGivesUpAtTheDeadline) {
  std::atomic<uint32_t> word{1};
  EXPECT_FALSE(SpinUntilChanged(word, 1, MonotonicNs() + 1000));
  EXPECT_FALSE(SpinUntilChanged(word, 1, 0));  // already past
  EXPECT_TRUE(SpinUntilChanged(word, 2, 0));   // differs: true even when late
}

TEST(SpinWaitTest, LockSpinningTakesAFreeLockAndWaitsForAHeldOne) {
  std::mutex mu;
  std::unique_lock<std::mutex> lock(mu, std::defer_lock);
  LockSpinning(lock, kLockSpinNs);
  EXPECT_TRUE(lock.owns_lock());
  lock.unlock();

  // Held by another thread past any spin budget: falls back to blocking.
  std::unique_lock<std::mutex> held(mu);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    std::unique_lock<std::mutex> l(mu, std::defer_lock);
    LockSpinning(l, /*spin_ns=*/1000);
    got.store(true);
  });
  EXPECT_FALSE(got.load());  // cannot have it: we hold it
  held.unlock();
  waiter.join();
  EXPECT_TRUE(got.load());
}

}  // namespace
}  // namespace bulwark::kernel
