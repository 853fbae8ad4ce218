// WaitQueue: tasks waiting for an event (readiness, child exit, futex ...).
#pragma once

#include <cstdint>
#include <vector>

namespace bulwark::kernel {

class Task;

// Preconditions: every method is called with the kernel lock held.
class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  ~WaitQueue();

  // Registers `t` for the next Notify; `mask` filters events (0 = all).
  void Add(Task* t, uint32_t mask = 0);
  void Remove(Task* t);
  // Wakes every waiter whose mask intersects `events` (or is 0).
  void Notify(uint32_t events = ~0u);
  bool empty() const { return waiters_.empty(); }

 private:
  struct Waiter {
    Task* task;
    uint32_t mask;
  };
  std::vector<Waiter> waiters_;
};

}  // namespace bulwark::kernel
