// POSIX record locks and open file description locks (fcntl(2), "Advisory
// record locking" and "Open file description locks") and flock(2) locks,
// shared by everything in the sandbox. The sandbox is the only user of its files' locks: locks
// taken on the host or by other sandboxes are not seen. Guarded by the
// kernel lock.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/file.h"

namespace bulwark::vfs {

// A file's identity for locking: (dev, ino).
using LockKey = std::pair<uint64_t, uint64_t>;

// The lock end of "to the end of the file, however it grows".
inline constexpr uint64_t kLockToEof = UINT64_MAX;

struct FileLock {
  uint64_t start = 0, end = 0;  // inclusive
  int type = 0;                 // F_RDLCK or F_WRLCK
  // POSIX locks belong to an fd table (Linux's files_struct) and report
  // the tgid; OFD locks belong to an open file description and report -1.
  const void* owner = nullptr;
  pid_t pid = 0;
  bool ofd = false;
  std::weak_ptr<FileDescription> ofd_file;  // OFD locks die with it
  // flock(2) locks: whole-file OFD locks (ofd is set too) that never
  // conflict with fcntl locks, as on Linux.
  bool flock = false;
};

class LockTable {
 public:
  // F_GETLK: a lock of another owner that conflicts with `want` (its type
  // and range), if any.
  std::optional<FileLock> Test(const LockKey& key, const FileLock& want);
  // F_SETLK: sets, changes (splitting and merging the owner's locks) or,
  // for type F_UNLCK, removes. EAGAIN on a conflict; `blocker` then names
  // the conflicting lock's owner.
  SysResult<void> Set(const LockKey& key, const FileLock& lock, const void** blocker = nullptr);
  // posix_locks_deadlock(): would `owner` waiting for `blocker` close a
  // cycle of waiting POSIX lock owners?
  bool WouldDeadlock(const void* owner, const void* blocker) const;
  void SetWaiting(const void* owner, const void* blocker) { waiting_[owner] = blocker; }
  void ClearWaiting(const void* owner) { waiting_.erase(owner); }

  // Whether `owner` holds any lock (cheap; callers use it before computing
  // a key).
  bool HasOwner(const void* owner) const { return owners_.count(owner) != 0; }
  // Drops `owner`'s locks on `key` (a POSIX owner closing the file).
  void ReleaseOwner(const LockKey& key, const void* owner);
  // Drops every lock of `owner` (its fd table went away).
  void ReleaseOwnerEverywhere(const void* owner);
  // Drops OFD locks whose description no longer exists.
  void PurgeDeadOfd();
  bool HasOfd() const { return ofd_count_ > 0; }

  // Waiters for locks to go away.
  kernel::WaitQueue& queue() { return queue_; }

 private:
  void Changed();
  void Recount();

  std::map<LockKey, std::vector<FileLock>> locks_;
  std::map<const void*, int> owners_;  // owner -> number of locks
  std::map<const void*, const void*> waiting_;
  int ofd_count_ = 0;
  kernel::WaitQueue queue_;
};

// The sandbox's lock table.
LockTable& Locks();

// The lock key of an open file.
SysResult<LockKey> LockKeyOf(FileDescription& f);

// Closing `file` in the fd table `owner` releases the owner's POSIX locks
// on that file (even if other fds of the file stay open).
void ReleaseLocksOnClose(FileDescription& file, const void* owner);
// After open file descriptions were dropped: their OFD locks go.
void ReleaseDeadOfdLocks();

}  // namespace bulwark::vfs
