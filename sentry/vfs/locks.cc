#include "sentry/vfs/locks.h"

#include <fcntl.h>

#include <algorithm>

namespace bulwark::vfs {

namespace {

bool Overlap(const FileLock& a, const FileLock& b) { return a.start <= b.end && b.start <= a.end; }

bool SameKind(const FileLock& a, const FileLock& b) {
  return a.owner == b.owner && a.flock == b.flock;
}

bool Conflict(const FileLock& held, const FileLock& want) {
  if (held.flock != want.flock || held.owner == want.owner) return false;
  if (held.type != F_WRLCK && want.type != F_WRLCK) return false;
  return Overlap(held, want);
}

bool Dead(const FileLock& l) { return l.ofd && l.ofd_file.expired(); }

}  // namespace

LockTable& Locks() {
  static LockTable* table = new LockTable();
  return *table;
}

std::optional<FileLock> LockTable::Test(const LockKey& key, const FileLock& want) {
  auto it = locks_.find(key);
  if (it == locks_.end()) return std::nullopt;
  for (const FileLock& l : it->second)
    if (!Dead(l) && Conflict(l, want)) return l;
  return std::nullopt;
}

SysResult<void> LockTable::Set(const LockKey& key, const FileLock& lock, const void** blocker) {
  std::vector<FileLock>& list = locks_[key];
  if (lock.type != F_UNLCK) {
    for (const FileLock& l : list) {
      if (!Dead(l) && Conflict(l, lock)) {
        if (blocker != nullptr) *blocker = l.owner;
        return Err(Errno::kEAGAIN);
      }
    }
  }
  // The owner's locks over the range are cut away; what sticks out on
  // either side stays with its old type.
  std::vector<FileLock> next;
  next.reserve(list.size() + 2);
  bool changed = false;
  for (const FileLock& l : list) {
    if (Dead(l)) {
      changed = true;
      continue;
    }
    if (!SameKind(l, lock) || !Overlap(l, lock)) {
      next.push_back(l);
      continue;
    }
    changed = true;
    if (l.start < lock.start) {
      FileLock left = l;
      left.end = lock.start - 1;
      next.push_back(left);
    }
    if (l.end > lock.end) {
      FileLock right = l;
      right.start = lock.end + 1;
      next.push_back(right);
    }
  }
  if (lock.type != F_UNLCK) {
    FileLock merged = lock;
    // Coalesce with the owner's adjacent locks of the same type.
    std::erase_if(next, [&](const FileLock& l) {
      if (!SameKind(l, merged) || l.type != merged.type) return false;
      bool adjacent = (merged.end != kLockToEof && l.start == merged.end + 1) ||
                      (l.end != kLockToEof && l.end + 1 == merged.start);
      if (!adjacent && !Overlap(l, merged)) return false;
      merged.start = std::min(merged.start, l.start);
      merged.end = std::max(merged.end, l.end);
      return true;
    });
    next.push_back(merged);
    changed = true;
  }
  list = std::move(next);
  if (list.empty()) locks_.erase(key);
  if (changed) Changed();
  return {};
}

bool LockTable::WouldDeadlock(const void* owner, const void* blocker) const {
  // Linux gives up after 10 steps (MAX_DEADLK_ITERATIONS).
  const void* o = blocker;
  for (int i = 0; i < 10; ++i) {
    if (o == owner) return true;
    auto it = waiting_.find(o);
    if (it == waiting_.end()) return false;
    o = it->second;
  }
  return false;
}

void LockTable::ReleaseOwner(const LockKey& key, const void* owner) {
  auto it = locks_.find(key);
  if (it == locks_.end()) return;
  size_t before = it->second.size();
  std::erase_if(it->second, [&](const FileLock& l) { return l.owner == owner || Dead(l); });
  bool changed = it->second.size() != before;
  if (it->second.empty()) locks_.erase(it);
  if (changed) Changed();
}

void LockTable::ReleaseOwnerEverywhere(const void* owner) {
  if (!HasOwner(owner)) return;
  for (auto it = locks_.begin(); it != locks_.end();) {
    std::erase_if(it->second, [&](const FileLock& l) { return l.owner == owner; });
    it = it->second.empty() ? locks_.erase(it) : std::next(it);
  }
  Changed();
}

void LockTable::PurgeDeadOfd() {
  bool changed = false;
  for (auto it = locks_.begin(); it != locks_.end();) {
    size_t before = it->second.size();
    std::erase_if(it->second, Dead);
    changed |= it->second.size() != before;
    it = it->second.empty() ? locks_.erase(it) : std::next(it);
  }
  if (changed) Changed();
}

void LockTable::Recount() {
  owners_.clear();
  ofd_count_ = 0;
  for (const auto& [key, list] : locks_) {
    for (const FileLock& l : list) {
      ++owners_[l.owner];
      if (l.ofd) ++ofd_count_;
    }
  }
}

void LockTable::Changed() {
  Recount();
  queue_.Notify();
}

SysResult<LockKey> LockKeyOf(FileDescription& f) {
  Stat st = TRY(f.GetStat());
  return LockKey{st.dev, st.ino};
}

void ReleaseLocksOnClose(FileDescription& file, const void* owner) {
  LockTable& t = Locks();
  if (!t.HasOwner(owner)) return;
  if (auto key = LockKeyOf(file)) t.ReleaseOwner(*key, owner);
}

void ReleaseDeadOfdLocks() {
  if (Locks().HasOfd()) Locks().PurgeDeadOfd();
}

}  // namespace bulwark::vfs
