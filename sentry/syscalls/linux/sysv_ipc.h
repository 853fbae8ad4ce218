// System V IPC (sysvipc(7)): what shm, sem and msg share.
//
// The tables belong to an IPC namespace (kernel/namespaces.h: the
// sandbox's own, or one made by unshare(CLONE_NEWIPC)), live as long as it,
// and are guarded by the kernel lock.
#pragma once

#include <sys/ipc.h>

#include <cstdint>
#include <map>
#include <set>
#include <memory>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/kernel/namespaces.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls::sysv {

// The IPC_64 flag of the *ctl commands (ignored: x86-64 has one layout).
inline constexpr int kIpc64 = 0x100;

// kern_ipc_perm.
struct Perm {
  key_t key = IPC_PRIVATE;
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0;
  uint32_t mode = 0;  // low 9 bits (and SHM_DEST/SHM_LOCKED for shm)
  uint16_t seq = 0;
  bool deleted = false;  // IPC_RMID: no longer found by key
  int64_t ctime = 0;

  void FillIpcPerm(ipc_perm* out) const;
};

// A new object's Perm: owner and creator are the caller's effective ids.
Perm NewPerm(const kernel::Credentials& creds, key_t key, int flags);

// ipcperms(): the rwx bits requested in `flags` (0400 read, 0200 write)
// must be granted to the caller as owner, group or other, unless it has
// CAP_IPC_OWNER. EACCES otherwise.
SysResult<void> CheckAccess(const kernel::Credentials& creds, const Perm& p, int flags);

// ipcctl_obtain_check(): IPC_SET and IPC_RMID need the owner or creator,
// or CAP_SYS_ADMIN. EPERM otherwise.
SysResult<void> CheckOwner(const kernel::Credentials& creds, const Perm& p);

// IPC_SET: new uid, gid and the low 9 mode bits.
void SetPerm(Perm& p, const ipc_perm& in);

// Realtime seconds, for the *_time fields.
int64_t NowSeconds();

// The ids handed out: index + seq * 32768 as Linux's ipc_buildid(), so an
// id is not reused at once after removal.
template <typename T>
class Table {
 public:
  // The object with `id`; EINVAL if none.
  SysResult<std::shared_ptr<T>> Get(int id) const {
    auto it = objects_.find(id);
    if (it == objects_.end()) return Err(Errno::kEINVAL);
    return it->second;
  }
  // The live object with `key` (not IPC_PRIVATE, not deleted), or null.
  std::pair<int, std::shared_ptr<T>> FindKey(key_t key) const {
    for (const auto& [id, obj] : objects_)
      if (obj->perm.key == key && !obj->perm.deleted) return {id, obj};
    return {-1, nullptr};
  }
  // ENOSPC at `max` objects.
  SysResult<int> Add(std::shared_ptr<T> obj, size_t max) {
    if (objects_.size() >= max) return Err(Errno::kENOSPC);
    int index = 0;
    while (used_.count(index)) ++index;
    used_.insert(index);
    uint16_t seq = next_seq_++;
    obj->perm.seq = seq;
    int id = index + static_cast<int>(seq % 0x10000 & 0x7fff) * 32768;
    obj->index = index;
    objects_[id] = std::move(obj);
    return id;
  }
  void Remove(int id) {
    auto it = objects_.find(id);
    if (it == objects_.end()) return;
    used_.erase(it->second->index);
    objects_.erase(it);
  }
  const std::map<int, std::shared_ptr<T>>& all() const { return objects_; }

 private:
  std::map<int, std::shared_ptr<T>> objects_;
  std::set<int> used_;
  uint16_t next_seq_ = 0;
};

// The table of `slot` (0 shm, 1 sem, 2 msg) in the caller's IPC namespace,
// created on first use. It lives as long as the namespace.
template <typename T>
Table<T>& TableOf(Task& t, int slot) {
  std::shared_ptr<void>& p = kernel::NamespacesOf(t)->Get(kernel::NsType::kIpc).sysv[slot];
  if (!p) p = std::make_shared<Table<T>>();
  return *static_cast<Table<T>*>(p.get());
}

// ipcget(): the id for `key`/`flags`, creating with `create` when absent
// (IPC_PRIVATE always creates). `check` validates an existing object
// (size/nsems) before the access check.
template <typename T, typename Create, typename Check>
SysResult<int> Get(Table<T>& table, const kernel::Credentials& creds, key_t key, int flags,
                   Create create, Check check) {
  if (key != IPC_PRIVATE) {
    auto [id, obj] = table.FindKey(key);
    if (obj) {
      if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return Err(Errno::kEEXIST);
      TRY(check(*obj));
      TRY(CheckAccess(creds, obj->perm, flags));
      return id;
    }
    if (!(flags & IPC_CREAT)) return Err(Errno::kENOENT);
  }
  return create();
}

}  // namespace bulwark::syscalls::sysv
