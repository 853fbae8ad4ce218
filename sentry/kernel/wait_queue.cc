#include "sentry/kernel/wait_queue.h"

#include <algorithm>

#include "sentry/kernel/task.h"

namespace bulwark::kernel {

void WaitQueue::Entry::Detach() {
  if (queue_ != nullptr) queue_->RemoveEntry(this);
}

WaitQueue::~WaitQueue() {
  for (Entry* e : entries_)
    if (e != nullptr) e->queue_ = nullptr;
}

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

void WaitQueue::AddEntry(Entry* e, uint32_t mask) {
  if (e->queue_ == this) {
    e->mask_ = mask;
    return;
  }
  e->Detach();
  e->queue_ = this;
  e->mask_ = mask;
  entries_.push_back(e);
  ++live_entries_;
}

void WaitQueue::RemoveEntry(Entry* e) {
  if (e->queue_ != this) return;
  e->queue_ = nullptr;
  auto it = std::find(entries_.begin(), entries_.end(), e);
  if (it == entries_.end()) return;
  --live_entries_;
  if (notifying_ > 0) {
    *it = nullptr;
  } else {
    entries_.erase(it);
  }
}

void WaitQueue::Notify(uint32_t events) {
  for (const Waiter& w : waiters_)
    if (w.mask == 0 || (w.mask & events) != 0) w.task->Wake();
  if (entries_.empty()) return;
  ++notifying_;
  // Entries appended by callbacks are past `n` and not called now.
  size_t n = entries_.size();
  for (size_t i = 0; i < n; ++i) {
    Entry* e = entries_[i];
    if (e == nullptr || !(e->mask_ == 0 || (e->mask_ & events) != 0) || !e->cb_) continue;
    // Copy: the callback may destroy the entry that owns it.
    Entry::Callback cb = e->cb_;
    cb(events);
  }
  if (--notifying_ == 0) std::erase(entries_, nullptr);
}

}  // namespace bulwark::kernel
