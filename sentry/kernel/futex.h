// Futex wait queues (futex(2), kernel/futex/).
//
// Waiters are keyed like Linux's get_futex_key:
//  * a private operation (FUTEX_PRIVATE_FLAG): the address space and the
//    address;
//  * a shared operation on private memory: the same pair, but a distinct
//    key (Linux sets FUT_OFF_MMSHARED), so FUTEX_WAKE_PRIVATE does not wake
//    a FUTEX_WAIT on the same word and vice versa, as on Linux;
//  * a shared operation on shared memory (MAP_SHARED anonymous memory and
//    shared file pages): the memory-file offset of the word, which every
//    mapping of that memory has in common, in any process.
// Memory-file offsets and MemoryManager addresses can be reused once freed;
// a stale waiter can then see a spurious wake-up, which futex users handle
// (they re-check the word).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <tuple>

#include "base/result.h"

namespace bulwark::mm {
class MemoryManager;
}

namespace bulwark::kernel {

class Task;

struct FutexKey {
  enum class Kind : uint8_t { kPrivate, kMmShared, kShared };
  Kind kind = Kind::kPrivate;
  uintptr_t mm = 0;   // MemoryManager identity; 0 for kShared
  uint64_t addr = 0;  // address, or memory-file offset for kShared

  bool operator==(const FutexKey&) const = default;
  bool operator<(const FutexKey& o) const {
    return std::tie(kind, mm, addr) < std::tie(o.kind, o.mm, o.addr);
  }
};

// The key of the 32-bit word at `addr` in `mm`. `shared`: the operation
// lacks FUTEX_PRIVATE_FLAG. EINVAL if misaligned; EFAULT if a shared
// operation names an address that is not mapped (Linux faults the page in
// for shared keys only: a private key needs no page).
SysResult<FutexKey> GetFutexKey(const mm::MemoryManager& mm, uint64_t addr, bool shared);

// A task waiting on a futex. Lives on the waiting task's stack.
struct FutexWaiter {
  Task* task = nullptr;  // null in unit tests
  FutexKey key;
  uint32_t bitset = ~0u;
  bool woken = false;  // set by Wake/Requeue-then-Wake; never cleared
};

// Guarded by the kernel lock.
class FutexTable {
 public:
  // Queues `w` under w->key (FIFO per key).
  void Enqueue(FutexWaiter* w);
  // Removes `w` if still queued (timeout, signal). Returns true if it was
  // queued, false if a wake already dequeued it.
  bool Dequeue(FutexWaiter* w);
  // Wakes up to `n` waiters on `key` whose bitset intersects `bitset`
  // (at least one when n <= 0, as futex_wake's loop does); returns how many.
  int Wake(const FutexKey& key, int n, uint32_t bitset = ~0u);
  // futex_requeue: wakes up to `nr_wake` waiters on `from`, then moves up
  // to `nr_requeue` more to `to`. Returns woken + moved.
  int Requeue(const FutexKey& from, const FutexKey& to, int nr_wake, int nr_requeue);
  size_t Waiters(const FutexKey& key) const;

 private:
  std::map<FutexKey, std::list<FutexWaiter*>> queues_;
};

}  // namespace bulwark::kernel

namespace bulwark::kernel {

// Wakes up to `n` waiters on the word at `addr` of t's address space
// (futex_wake). Returns the count, or EINVAL/EFAULT from the key.
// Precondition: kernel lock held.
SysResult<int> FutexWake(Task& t, uint64_t addr, bool shared, int n, uint32_t bitset = ~0u);

// exit_robust_list (kernel/futex/core.c): for every lock on t's robust
// list that t still owns, sets FUTEX_OWNER_DIED and wakes one waiter.
// Runs when a thread exits or execs. Precondition: kernel lock held.
void ExitRobustList(Task& t);

// A pointer to the aligned 32-bit word at `addr`, in the sentry's mapping
// of the memory file, for atomic access concurrent with the application.
// EFAULT unless mapped with `write` (or read) access.
SysResult<uint32_t*> FutexWord(const mm::MemoryManager& mm, uint64_t addr, bool write);

}  // namespace bulwark::kernel
