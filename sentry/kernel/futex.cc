#include "sentry/kernel/futex.h"

#include <linux/futex.h>

#include <algorithm>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

namespace bulwark::kernel {

SysResult<FutexKey> GetFutexKey(const mm::MemoryManager& mm, uint64_t addr, bool shared) {
  if (addr % sizeof(uint32_t) != 0) return Err(Errno::kEINVAL);
  FutexKey key;
  key.mm = reinterpret_cast<uintptr_t>(&mm);
  key.addr = addr;
  if (!shared) return key;
  const mm::Vma* v = mm.FindVma(addr);
  if (v == nullptr) return Err(Errno::kEFAULT);
  if (!v->shared) {
    key.kind = FutexKey::Kind::kMmShared;
    return key;
  }
  key.kind = FutexKey::Kind::kShared;
  key.mm = 0;
  key.addr = v->FileOffsetOf(addr);
  return key;
}

void FutexTable::Enqueue(FutexWaiter* w) { queues_[w->key].push_back(w); }

bool FutexTable::Dequeue(FutexWaiter* w) {
  auto it = queues_.find(w->key);
  if (it == queues_.end()) return false;
  auto& q = it->second;
  auto pos = std::find(q.begin(), q.end(), w);
  if (pos == q.end()) return false;
  q.erase(pos);
  if (q.empty()) queues_.erase(it);
  return true;
}

int FutexTable::Wake(const FutexKey& key, int n, uint32_t bitset) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return 0;
  auto& q = it->second;
  int woken = 0;
  for (auto pos = q.begin(); pos != q.end();) {
    FutexWaiter* w = *pos;
    if (!(w->bitset & bitset)) {
      ++pos;
      continue;
    }
    pos = q.erase(pos);
    w->woken = true;
    if (w->task) w->task->Wake();
    if (++woken >= n) break;
  }
  if (q.empty()) queues_.erase(it);
  return woken;
}

int FutexTable::Requeue(const FutexKey& from, const FutexKey& to, int nr_wake, int nr_requeue) {
  auto it = queues_.find(from);
  if (it == queues_.end()) return 0;
  // Detach the source queue first: `to` may be `from`, and inserting into
  // the map must not invalidate what we iterate.
  std::list<FutexWaiter*> q = std::move(it->second);
  queues_.erase(it);
  int count = 0;
  std::list<FutexWaiter*> moved;
  auto pos = q.begin();
  while (pos != q.end()) {
    if (count - nr_wake >= nr_requeue) break;
    FutexWaiter* w = *pos;
    pos = q.erase(pos);
    if (++count <= nr_wake) {
      w->woken = true;
      if (w->task) w->task->Wake();
      continue;
    }
    w->key = to;
    moved.push_back(w);
  }
  if (!q.empty()) {
    auto& rest = queues_[from];
    rest.splice(rest.begin(), q);
  }
  if (!moved.empty()) queues_[to].splice(queues_[to].end(), moved);
  return count;
}

size_t FutexTable::Waiters(const FutexKey& key) const {
  auto it = queues_.find(key);
  return it == queues_.end() ? 0 : it->second.size();
}

SysResult<uint32_t*> FutexWord(const mm::MemoryManager& mm, uint64_t addr, bool write) {
  if (addr % sizeof(uint32_t) != 0) return Err(Errno::kEINVAL);
  auto iov = TRY(mm.Translate(addr, sizeof(uint32_t), write));
  if (iov.empty() || iov[0].iov_len < sizeof(uint32_t)) return Err(Errno::kEFAULT);
  return static_cast<uint32_t*>(iov[0].iov_base);
}

SysResult<int> FutexWake(Task& t, uint64_t addr, bool shared, int n, uint32_t bitset) {
  FutexKey key = TRY(GetFutexKey(t.mm(), addr, shared));
  return t.kernel().futexes().Wake(key, n, bitset);
}

namespace {

// handle_futex_death: false when the walk must stop (fault).
bool HandleFutexDeath(Task& t, uint64_t uaddr, bool pi, bool pending_op) {
  auto word = FutexWord(t.mm(), uaddr, /*write=*/true);
  if (!word) return false;
  uint32_t* p = *word;
  uint32_t uval = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (true) {
    // A lock being acquired when the owner died, before the owner's tid was
    // stored: wake a waiter so that it does not sleep forever.
    if (pending_op && !pi && uval == 0) {
      (void)FutexWake(t, uaddr, /*shared=*/true, 1);
      return true;
    }
    if (static_cast<pid_t>(uval & FUTEX_TID_MASK) != t.tid()) return true;
    uint32_t mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (__atomic_compare_exchange_n(p, &uval, mval, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      break;
    // uval now holds the value that changed under us: retry with it.
  }
  // PI futexes would hand the lock over via the pi_state; they are not
  // implemented (FUTEX_LOCK_PI is ENOSYS), so only plain futexes get here.
  if (!pi && (uval & FUTEX_WAITERS)) (void)FutexWake(t, uaddr, /*shared=*/true, 1);
  return true;
}

// fetch_robust_entry: the pointer with its PI bit split off.
bool FetchEntry(Task& t, uint64_t at, uint64_t* entry, bool* pi) {
  uint64_t v;
  if (!t.CopyInBytes(at, &v, sizeof(v))) return false;
  *entry = v & ~uint64_t{1};
  *pi = (v & 1) != 0;
  return true;
}

}  // namespace

void ExitRobustList(Task& t) {
  uint64_t head = t.robust_list;
  if (head == 0 || !t.mm_) return;
  uint64_t entry, pending;
  bool pi, pending_pi;
  int64_t futex_offset;
  if (!FetchEntry(t, head + offsetof(robust_list_head, list.next), &entry, &pi)) return;
  if (!t.CopyInBytes(head + offsetof(robust_list_head, futex_offset), &futex_offset,
                     sizeof(futex_offset)))
    return;
  if (!FetchEntry(t, head + offsetof(robust_list_head, list_op_pending), &pending, &pending_pi))
    return;
  int limit = ROBUST_LIST_LIMIT;
  while (entry != head) {
    uint64_t next;
    bool next_pi;
    bool ok = FetchEntry(t, entry + offsetof(robust_list, next), &next, &next_pi);
    if (entry != pending &&
        !HandleFutexDeath(t, entry + static_cast<uint64_t>(futex_offset), pi, false))
      return;
    if (!ok) return;
    entry = next;
    pi = next_pi;
    if (--limit == 0) break;
  }
  if (pending != 0)
    (void)HandleFutexDeath(t, pending + static_cast<uint64_t>(futex_offset), pending_pi, true);
}

}  // namespace bulwark::kernel
