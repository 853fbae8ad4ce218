// FdTable: a task's file descriptors (shared with CLONE_FILES).
#pragma once

#include <map>
#include <memory>

#include "base/result.h"
#include "sentry/vfs/file.h"

namespace bulwark::kernel {

// Guarded by the kernel lock.
class FdTable {
 public:
  FdTable() = default;
  FdTable(const FdTable&) = default;
  // Releases the POSIX record locks this table owns.
  ~FdTable();

  struct Entry {
    std::shared_ptr<vfs::FileDescription> file;
    bool cloexec = false;
  };

  SysResult<std::shared_ptr<vfs::FileDescription>> Get(int fd) const;
  const Entry* GetEntry(int fd) const;
  // Lowest free fd >= min_fd below `limit` (RLIMIT_NOFILE); EMFILE if none.
  SysResult<int> Install(std::shared_ptr<vfs::FileDescription> file, bool cloexec,
                         uint64_t limit, int min_fd = 0);
  // dup2/dup3 semantics: replaces whatever is at fd. EBADF if fd >= limit.
  SysResult<void> InstallAt(int fd, std::shared_ptr<vfs::FileDescription> file, bool cloexec,
                            uint64_t limit);
  // Removes fd; returns its file (EBADF if none). The file is closed when
  // the last reference goes.
  SysResult<std::shared_ptr<vfs::FileDescription>> Remove(int fd);
  SysResult<void> SetCloexec(int fd, bool cloexec);
  void CloseOnExec();
  // close_range(2) without flags, or with CLOSE_RANGE_CLOEXEC.
  void CloseRange(unsigned first, unsigned last, bool cloexec_only);
  std::shared_ptr<FdTable> Fork() const { return std::make_shared<FdTable>(*this); }
  const std::map<int, Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

 private:
  std::map<int, Entry> entries_;
};

}  // namespace bulwark::kernel
