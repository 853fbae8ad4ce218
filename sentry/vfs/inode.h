// Inodes: the filesystem objects behind dentries.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/vfs/types.h"

namespace bulwark::kernel {
class Task;
}

namespace bulwark::vfs {

class FileDescription;
class NotifyMark;
struct Path;

// An inode of some filesystem. Every method is called with the kernel lock
// held (see kernel/kernel.h); implementations that block in a host call or
// a gofer round trip may release it through Task::Unlocked().
//
// Directory operations share these preconditions: this inode is a directory;
// `name` is one valid component (not empty, ".", "..", no '/', at most
// NAME_MAX bytes); the caller has checked permissions, that the mount is
// writable for mutations, and that `name` does (Lookup, Unlink, Rmdir,
// Rename's old_name) or does not (Create, Mkdir, Mknod, Symlink, Link)
// exist, as far as the dentry cache knows.
class Inode : public std::enable_shared_from_this<Inode> {
 public:
  explicit Inode(uint32_t type) : type_(type & S_IFMT) {}
  virtual ~Inode() = default;
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  // S_IFMT bits; immutable.
  uint32_t type() const { return type_; }
  bool IsDir() const { return type_ == S_IFDIR; }
  bool IsSymlink() const { return type_ == S_IFLNK; }
  bool IsRegular() const { return type_ == S_IFREG; }

  virtual SysResult<Stat> GetStat() = 0;
  virtual SysResult<void> SetStat(const SetStatRequest& req) { return Err(Errno::kEPERM); }

  virtual SysResult<std::shared_ptr<Inode>> Lookup(std::string_view name) {
    return Err(Errno::kENOTDIR);
  }
  // Whole listing, without "." and "..".
  virtual SysResult<std::vector<DirEntry>> ReadDir() { return Err(Errno::kENOTDIR); }
  virtual SysResult<std::shared_ptr<Inode>> Create(std::string_view name, uint32_t mode,
                                                   const kernel::Credentials& creds) {
    return Err(Errno::kEPERM);
  }
  virtual SysResult<std::shared_ptr<Inode>> Mkdir(std::string_view name, uint32_t mode,
                                                  const kernel::Credentials& creds) {
    return Err(Errno::kEPERM);
  }
  // mode carries the file type (S_IFIFO, S_IFCHR, ...).
  virtual SysResult<std::shared_ptr<Inode>> Mknod(std::string_view name, uint32_t mode,
                                                  uint64_t rdev,
                                                  const kernel::Credentials& creds) {
    return Err(Errno::kEPERM);
  }
  virtual SysResult<std::shared_ptr<Inode>> Symlink(std::string_view name,
                                                    std::string_view target,
                                                    const kernel::Credentials& creds) {
    return Err(Errno::kEPERM);
  }
  // Precondition: target is of the same filesystem and not a directory.
  virtual SysResult<void> Link(std::string_view name, const std::shared_ptr<Inode>& target) {
    return Err(Errno::kEPERM);
  }
  virtual SysResult<void> Unlink(std::string_view name) { return Err(Errno::kEPERM); }
  virtual SysResult<void> Rmdir(std::string_view name) { return Err(Errno::kEPERM); }
  // flags: RENAME_NOREPLACE, RENAME_EXCHANGE. Precondition: new_dir is of the
  // same filesystem (the VFS returns EXDEV otherwise).
  virtual SysResult<void> Rename(std::string_view old_name, Inode& new_dir,
                                 std::string_view new_name, unsigned flags) {
    return Err(Errno::kEPERM);
  }

  virtual SysResult<std::string> Readlink() { return Err(Errno::kEINVAL); }
  // The target as `task` sees it: procfs's self and thread-self name the
  // caller. Resolution and readlink(2) use this when they have a task.
  virtual SysResult<std::string> ReadlinkAs(kernel::Task& task) { return Readlink(); }
  // "Magic" links (procfs fd/N, exe, cwd, root) resolve to a path of the
  // caller's kernel object rather than by text. nullopt: an ordinary link.
  virtual std::optional<SysResult<Path>> FollowMagicLink(kernel::Task& task);

  // Opens this inode. flags: open(2) flags without O_CREAT, O_EXCL,
  // O_NOFOLLOW and O_CLOEXEC; O_TRUNC was already applied by the VFS.
  // `path` is where the inode was reached (kept by the description).
  virtual SysResult<std::shared_ptr<FileDescription>> Open(kernel::Task& task,
                                                           const Path& path, int flags) = 0;

  // fsnotify marks (inotify watches, dnotify) on this inode; see
  // vfs/fsnotify.h. Guarded by the kernel lock.
  std::vector<NotifyMark*> notify_marks;

  // i_writecount: > 0 is the number of descriptions open for writing, < 0
  // the number of running executables denying writes; opening a running
  // executable for writing, and executing a file open for writing, fail
  // with ETXTBSY (get_write_access()/deny_write_access()). Guarded by the
  // kernel lock.
  bool GetWriteAccess() {
    if (writecount_ < 0) return false;
    ++writecount_;
    return true;
  }
  void PutWriteAccess() { --writecount_; }
  bool WriteDenied() const { return writecount_ < 0; }
  bool DenyWriteAccess() {
    if (writecount_ > 0) return false;
    --writecount_;
    return true;
  }
  void AllowWriteAccess() { ++writecount_; }

 private:
  const uint32_t type_;
  int writecount_ = 0;
};

// Denies writes to an inode while it lives: a process's executable
// (mm->exe_file in Linux keeps the denial for the life of the address
// space). Shared by processes that fork from one another.
class WriteDenial {
 public:
  // ETXTBSY when the inode is open for writing.
  static SysResult<std::shared_ptr<WriteDenial>> Make(std::shared_ptr<Inode> inode) {
    if (!inode->DenyWriteAccess()) return Err(Errno::kETXTBSY);
    return std::shared_ptr<WriteDenial>(new WriteDenial(std::move(inode)));
  }
  ~WriteDenial() { inode_->AllowWriteAccess(); }
  WriteDenial(const WriteDenial&) = delete;
  WriteDenial& operator=(const WriteDenial&) = delete;

 private:
  explicit WriteDenial(std::shared_ptr<Inode> inode) : inode_(std::move(inode)) {}
  std::shared_ptr<Inode> inode_;
};

}  // namespace bulwark::vfs
