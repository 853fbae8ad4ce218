// memfs internals: the filesystem object and its inode types.
//
// Everything here is guarded by the kernel lock, like every vfs::Inode.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "sentry/fsimpl/memfs/memfs.h"

namespace bulwark::fsimpl::memfs {

class MemInode;
class DirInode;

inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kMaxFileSize = INT64_MAX;  // MAX_LFS_FILESIZE

class MemFs : public std::enable_shared_from_this<MemFs> {
 public:
  explicit MemFs(const MemFsOptions& options);

  uint64_t dev() const { return dev_; }
  uint64_t NextIno() { return next_ino_++; }
  const SpecialOpener& open_special() const { return options_.open_special; }
  Usage usage() const;

  // Accounts a new upper inode; ENOSPC over the inode limit.
  SysResult<void> ChargeInode();
  void UnchargeInode() { --inodes_; }
  // Accounts `pages` pages of file data; ENOSPC over the size limit.
  SysResult<void> ChargePages(uint64_t pages);
  void UnchargePages(uint64_t pages) { pages_ -= pages; }

  // An upper inode standing for `lower` (see memfs.h), with its attributes
  // copied from the lower. `ino` 0 allocates one.
  SysResult<std::shared_ptr<MemInode>> Wrap(std::shared_ptr<vfs::Inode> lower, uint64_t ino,
                                            const std::shared_ptr<DirInode>& parent);

 private:
  MemFsOptions options_;
  uint64_t dev_;
  uint64_t next_ino_ = 1;
  uint64_t inodes_ = 0;
  uint64_t pages_ = 0;
};

class MemInode : public vfs::Inode {
 public:
  // `mode` includes the file type. Upper inodes are charged by the caller
  // (MemFs::ChargeInode) and uncharged here when destroyed.
  MemInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);
  ~MemInode() override;

  SysResult<vfs::Stat> GetStat() override;
  SysResult<void> SetStat(const vfs::SetStatRequest& req) override;

  MemFs& fs() const { return *fs_; }
  const std::shared_ptr<MemFs>& fs_ptr() const { return fs_; }
  uint64_t ino() const { return ino_; }
  uint32_t mode() const { return attr_.mode; }
  uint32_t nlink() const { return attr_.nlink; }
  const std::shared_ptr<vfs::Inode>& lower() const { return lower_; }

  void IncLink() { ++attr_.nlink; }
  void DecLink() {
    if (attr_.nlink > 0) --attr_.nlink;
  }
  void SetNlink(uint32_t n) { attr_.nlink = n; }
  void TouchCtime() { attr_.ctime = vfs::Now(); }
  void TouchMtime() { attr_.mtime = attr_.ctime = vfs::Now(); }
  // relatime(8): atime moves only when older than mtime/ctime or a day old.
  void TouchAtime();
  // Replaces the attributes (copied from a lower inode); keeps ino and dev.
  void CopyAttributes(const vfs::Stat& st);
  void SetIno(uint64_t ino) { ino_ = ino; }
  // After a write: clears setuid, and setgid with group-exec, unless the
  // writer has CAP_FSETID (file_remove_privs()).
  void KillSuid(const kernel::Credentials& creds);

 protected:
  // Size and blocks as stat(2) reports them.
  virtual uint64_t Size() const = 0;
  virtual uint64_t Blocks() const { return 0; }
  // Changes the size. Preconditions: regular file; size <= kMaxFileSize.
  virtual SysResult<void> Truncate(uint64_t size) { return Err(Errno::kEINVAL); }

  std::shared_ptr<MemFs> fs_;
  uint64_t ino_;
  vfs::Stat attr_;  // mode, nlink, uid, gid, rdev and times are kept here
  std::shared_ptr<vfs::Inode> lower_;
  bool charged_;
};

class DirInode : public MemInode {
 public:
  DirInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);

  SysResult<std::shared_ptr<vfs::Inode>> Lookup(std::string_view name) override;
  SysResult<std::vector<vfs::DirEntry>> ReadDir() override;
  SysResult<std::shared_ptr<vfs::Inode>> Create(std::string_view name, uint32_t mode,
                                                const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Mkdir(std::string_view name, uint32_t mode,
                                               const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Mknod(std::string_view name, uint32_t mode,
                                               uint64_t rdev,
                                               const kernel::Credentials& creds) override;
  SysResult<std::shared_ptr<vfs::Inode>> Symlink(std::string_view name, std::string_view target,
                                                 const kernel::Credentials& creds) override;
  SysResult<void> Link(std::string_view name, const std::shared_ptr<vfs::Inode>& target) override;
  SysResult<void> Unlink(std::string_view name) override;
  SysResult<void> Rmdir(std::string_view name) override;
  SysResult<void> Rename(std::string_view old_name, vfs::Inode& new_dir,
                         std::string_view new_name, unsigned flags) override;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

  // Makes this directory show `lower`'s entries beneath its own.
  void SetLower(std::shared_ptr<vfs::Inode> lower) { lower_ = std::move(lower); }
  void SetParent(const std::shared_ptr<DirInode>& parent) { parent_ = parent; }
  // Empty in the merged view (for rmdir and rename over a directory).
  SysResult<bool> IsEmpty();

 protected:
  uint64_t Size() const override;

 private:
  std::shared_ptr<MemInode> Find(std::string_view name);
  // Lookup, as a MemInode.
  SysResult<std::shared_ptr<MemInode>> Get(std::string_view name);
  // EEXIST if `name` exists in the merged view.
  SysResult<void> CheckAbsent(std::string_view name);
  // Owner, group and setgid bit of a new inode (inode_init_owner()).
  void InitOwner(uint32_t* mode, uint32_t* uid, uint32_t* gid,
                 const kernel::Credentials& creds) const;
  void Insert(std::string_view name, std::shared_ptr<MemInode> inode);
  // Removes `name`; whites it out when a lower directory may still have it.
  void Remove(std::string_view name);
  // True if this directory is `dir` or one of its ancestors.
  bool IsAncestorOf(const DirInode* dir) const;

  std::map<std::string, std::shared_ptr<MemInode>, std::less<>> entries_;
  // Names hidden from the lower directory.
  std::set<std::string, std::less<>> whiteouts_;
  // Inode numbers handed out by ReadDir for lower entries not yet wrapped,
  // so that a later Lookup reports the same number.
  std::map<std::string, uint64_t, std::less<>> lower_inos_;
  std::weak_ptr<DirInode> parent_;
};

class FileInode : public MemInode {
 public:
  FileInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint32_t uid, uint32_t gid, bool charged);
  ~FileInode() override;

  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;

  // Shows `lower`'s data until copy-up; `st` is its attributes.
  void SetLower(std::shared_ptr<vfs::Inode> lower, const vfs::Stat& st);

  // Reads at `off` (up to the size); holes read as zeros. Preconditions: no
  // byte of [off, off+len) below lower_valid() (read those from the lower).
  size_t ReadAt(vfs::IoVecs dst, uint64_t off);
  // Writes at `off`, growing the file. Returns the bytes written (short, or
  // ENOSPC when none, when the size limit is reached; EFBIG past the maximum
  // file size). Precondition: lower_valid() == 0.
  SysResult<size_t> WriteAt(vfs::IoVecs src, uint64_t off);
  // Bytes at the start of the file still read from the lower file.
  uint64_t lower_valid() const { return lower_valid_; }
  uint64_t size() const { return size_; }
  // Copies the lower data into memory (before the first write).
  SysResult<void> CopyUp(kernel::Task& task, const vfs::Path& path);

 protected:
  uint64_t Size() const override { return size_; }
  uint64_t Blocks() const override;
  SysResult<void> Truncate(uint64_t size) override;

 private:
  struct Page {
    uint8_t bytes[kPageSize];
  };
  // Drops pages wholly at or past `size` and zeroes the tail of the last one.
  void DropFrom(uint64_t size);

  std::map<uint64_t, std::unique_ptr<Page>> pages_;  // by page index
  uint64_t size_ = 0;
  uint64_t lower_valid_ = 0;
  uint64_t lower_blocks_ = 0;  // reported until copy-up
};

class SymlinkInode : public MemInode {
 public:
  SymlinkInode(std::shared_ptr<MemFs> fs, std::string target, uint32_t uid, uint32_t gid,
               bool charged);
  SysResult<std::string> Readlink() override;
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;
  // The target is read from `lower` on first use.
  void SetLower(std::shared_ptr<vfs::Inode> lower, uint64_t size) {
    lower_ = std::move(lower);
    lower_size_ = size;
  }

 protected:
  uint64_t Size() const override { return lower_ ? lower_size_ : target_.size(); }

 private:
  std::string target_;
  uint64_t lower_size_ = 0;
};

// FIFOs, sockets and device nodes: opened through MemFsOptions::open_special.
class SpecialInode : public MemInode {
 public:
  SpecialInode(std::shared_ptr<MemFs> fs, uint32_t mode, uint64_t rdev, uint32_t uid,
               uint32_t gid, bool charged);
  SysResult<std::shared_ptr<vfs::FileDescription>> Open(kernel::Task& task, const vfs::Path& path,
                                                        int flags) override;
  void SetLower(std::shared_ptr<vfs::Inode> lower) { lower_ = std::move(lower); }

 protected:
  uint64_t Size() const override { return 0; }
};

// A description that only names its file (O_PATH, symlinks).
std::shared_ptr<vfs::FileDescription> PathOnlyDescription(const vfs::Path& path, int flags);

}  // namespace bulwark::fsimpl::memfs
