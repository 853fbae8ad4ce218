#include "sentry/kernel/wait_queue.h"

#include <algorithm>

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

WaitQueue::~WaitQueue() = default;

void WaitQueue::Add(Task* t, uint32_t mask) {
  for (Waiter& w : waiters_)
    if (w.task == t) {
      w.mask |= mask;
      return;
    }
  waiters_.push_back(Waiter{t, mask});
}

void WaitQueue::Remove(Task* t) {
  std::erase_if(waiters_, [t](const Waiter& w) { return w.task == t; });
}

void WaitQueue::Notify(uint32_t events) {
  for (const Waiter& w : waiters_)
    if (w.mask == 0 || (w.mask & events) != 0) w.task->Wake();
}

}  // namespace bulwark::kernel
