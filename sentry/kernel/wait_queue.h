// WaitQueue: tasks waiting for an event (readiness, child exit, futex ...),
// and callback waiters that react to events without a blocked task (an
// epoll instance watching many files).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace bulwark::kernel {

class Task;

// Preconditions: every method is called with the kernel lock held.
class WaitQueue {
 public:
  // A callback waiter. It lives in its owner (e.g. an epoll interest) and
  // is linked into at most one queue at a time; destroying either side
  // unlinks it. The callback runs inside Notify with the kernel lock held;
  // it may Remove or destroy any entry (itself included) and Notify other
  // queues, but must not Notify the queue it is called from.
  class Entry {
   public:
    using Callback = std::function<void(uint32_t events)>;
    Entry() = default;
    explicit Entry(Callback cb) : cb_(std::move(cb)) {}
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    ~Entry() { Detach(); }

    void set_callback(Callback cb) { cb_ = std::move(cb); }
    // Unlinks from the queue it is in, if any.
    void Detach();
    bool attached() const { return queue_ != nullptr; }
    WaitQueue* queue() const { return queue_; }

   private:
    friend class WaitQueue;
    WaitQueue* queue_ = nullptr;
    uint32_t mask_ = 0;
    Callback cb_;
  };

  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  // Unlinks the callback entries still registered.
  ~WaitQueue();

  // Registers `t` for the next Notify; `mask` filters events (0 = all).
  void Add(Task* t, uint32_t mask = 0);
  void Remove(Task* t);
  // Links `e` (moving it from another queue if needed); `mask` filters
  // events as for tasks.
  void AddEntry(Entry* e, uint32_t mask = 0);
  void RemoveEntry(Entry* e);
  // Wakes every task and runs every entry whose mask intersects `events`
  // (or is 0). Entries added during a Notify are not called by it.
  void Notify(uint32_t events = ~0u);
  bool empty() const { return waiters_.empty() && live_entries_ == 0; }

 private:
  struct Waiter {
    Task* task;
    uint32_t mask;
  };
  std::vector<Waiter> waiters_;
  // Removed entries become nullptr while a Notify walks the vector and are
  // compacted away afterwards.
  std::vector<Entry*> entries_;
  size_t live_entries_ = 0;
  int notifying_ = 0;
};

}  // namespace bulwark::kernel
