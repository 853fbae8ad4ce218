#include "sentry/kernel/spin_wait.h"

#include "sentry/kernel/rusage.h"

namespace bulwark::kernel {

bool SpinUntilChanged(const std::atomic<uint32_t>& word, uint32_t seen, int64_t until_ns) {
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (word.load(std::memory_order_acquire) != seen) return true;
      __builtin_ia32_pause();
    }
    if (MonotonicNs() >= until_ns) return word.load(std::memory_order_acquire) != seen;
  }
}

void LockSpinning(std::unique_lock<std::mutex>& lock, int64_t spin_ns) {
  if (lock.try_lock()) return;
  if (spin_ns > 0) {
    int64_t until = MonotonicNs() + spin_ns;
    for (;;) {
      // Not a try_lock per pause: that would keep the holder's cache line busy.
      for (int i = 0; i < 16; ++i) __builtin_ia32_pause();
      if (lock.try_lock()) return;
      if (MonotonicNs() >= until) break;
    }
  }
  lock.lock();
}

}  // namespace bulwark::kernel
