#include "sentry/kernel/fd_table.h"

#include <climits>

#include "sentry/vfs/locks.h"

namespace bulwark::kernel {

// Closing a file releases this table's POSIX locks on it; dropping the
// last reference to a description releases its OFD locks.

FdTable::~FdTable() {
  vfs::Locks().ReleaseOwnerEverywhere(this);
  entries_.clear();
  vfs::ReleaseDeadOfdLocks();
}

SysResult<std::shared_ptr<vfs::FileDescription>> FdTable::Get(int fd) const {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return Err(Errno::kEBADF);
  return it->second.file;
}

const FdTable::Entry* FdTable::GetEntry(int fd) const {
  auto it = entries_.find(fd);
  return it == entries_.end() ? nullptr : &it->second;
}

SysResult<int> FdTable::Install(std::shared_ptr<vfs::FileDescription> file, bool cloexec,
                                uint64_t limit, int min_fd) {
  if (min_fd < 0) return Err(Errno::kEINVAL);
  uint64_t max = std::min<uint64_t>(limit, static_cast<uint64_t>(INT_MAX) + 1);
  int fd = min_fd;
  for (auto it = entries_.lower_bound(min_fd); it != entries_.end() && it->first == fd; ++it)
    ++fd;
  if (static_cast<uint64_t>(fd) >= max) return Err(Errno::kEMFILE);
  entries_.emplace(fd, Entry{std::move(file), cloexec});
  return fd;
}

SysResult<void> FdTable::InstallAt(int fd, std::shared_ptr<vfs::FileDescription> file,
                                   bool cloexec, uint64_t limit) {
  if (fd < 0 || static_cast<uint64_t>(fd) >= limit) return Err(Errno::kEBADF);
  Entry& e = entries_[fd];
  // The replaced file is closed after the new one is in place, as dup2(2)
  // does atomically.
  std::shared_ptr<vfs::FileDescription> old = std::move(e.file);
  e.file = std::move(file);
  e.cloexec = cloexec;
  if (old) {
    vfs::ReleaseLocksOnClose(*old, this);
    old.reset();
    vfs::ReleaseDeadOfdLocks();
  }
  return {};
}

SysResult<std::shared_ptr<vfs::FileDescription>> FdTable::Remove(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return Err(Errno::kEBADF);
  std::shared_ptr<vfs::FileDescription> file = std::move(it->second.file);
  entries_.erase(it);
  vfs::ReleaseLocksOnClose(*file, this);
  return file;
}

SysResult<void> FdTable::SetCloexec(int fd, bool cloexec) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return Err(Errno::kEBADF);
  it->second.cloexec = cloexec;
  return {};
}

void FdTable::CloseOnExec() {
  std::vector<std::shared_ptr<vfs::FileDescription>> closed;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.cloexec) {
      closed.push_back(std::move(it->second.file));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& f : closed) vfs::ReleaseLocksOnClose(*f, this);
  closed.clear();
  vfs::ReleaseDeadOfdLocks();
}

void FdTable::CloseRange(unsigned first, unsigned last, bool cloexec_only) {
  if (first > static_cast<unsigned>(INT_MAX)) return;
  auto begin = entries_.lower_bound(static_cast<int>(first));
  auto end = last >= static_cast<unsigned>(INT_MAX) ? entries_.end()
                                                   : entries_.upper_bound(static_cast<int>(last));
  if (cloexec_only) {
    for (auto it = begin; it != end; ++it) it->second.cloexec = true;
    return;
  }
  // Files are released after the table no longer refers to them.
  std::vector<std::shared_ptr<vfs::FileDescription>> closed;
  for (auto it = begin; it != end; ++it) closed.push_back(std::move(it->second.file));
  entries_.erase(begin, end);
  for (auto& f : closed) vfs::ReleaseLocksOnClose(*f, this);
  closed.clear();
  vfs::ReleaseDeadOfdLocks();
}

}  // namespace bulwark::kernel
